#pragma once
// The number of members of an aggregate struct, found by trying brace initialisation with
// more and more values that convert to anything. Lets a test compare a struct with its
// setting declarations, so that a member added without a declaration fails the suite.
#include <cstddef>
#include <type_traits>
#include <utility>

namespace infersweep::test_support {

struct AnyMember {
  // Declared only: it is used in unevaluated contexts.
  template <class T>
  operator T&() const&& noexcept;
};

template <class T, std::size_t... I>
constexpr auto brace_initialisable(std::index_sequence<I...>)
    -> decltype(T{(void(I), AnyMember{})...}, std::true_type{});
template <class T>
constexpr std::false_type brace_initialisable(...);

template <class T, std::size_t N = 0>
constexpr std::size_t field_count() {
  static_assert(std::is_aggregate_v<T>, "field_count needs an aggregate");
  if constexpr (decltype(brace_initialisable<T>(std::make_index_sequence<N + 1>{}))::value)
    return field_count<T, N + 1>();
  else
    return N;
}

}  // namespace infersweep::test_support
