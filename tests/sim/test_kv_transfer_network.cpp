// The links between the pools of a disaggregated deployment, alone: finish times worked out by
// hand as transfers start and end and the shares of their endpoints change. Capacities and
// sizes are chosen so that every time is exact in binary floating point.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "infersweep/common/error.hpp"
#include "infersweep/sim/kv_transfer_network.hpp"

using namespace infersweep;
using namespace infersweep::sim;

TEST(KvTransferNetwork, ALoneTransferGoesAtTheSmallerEndsCapacity) {
  KvTransferNetwork net({100.0}, {400.0});
  EXPECT_TRUE(std::isinf(net.next_completion()));
  const auto v0 = net.version();
  net.start(2.0, 7, 0, 0, 50.0);
  EXPECT_NE(net.version(), v0);
  EXPECT_EQ(net.num_active(), 1u);
  EXPECT_EQ(net.sending(0), 1);
  EXPECT_EQ(net.receiving(0), 1);
  EXPECT_DOUBLE_EQ(net.next_completion(), 2.5);  // 50 bytes at 100 B/s
  std::vector<RequestId> done;
  net.complete(2.5, done);
  EXPECT_EQ(done, std::vector<RequestId>{7});
  EXPECT_EQ(net.num_active(), 0u);
  EXPECT_EQ(net.sending(0), 0);
  EXPECT_EQ(net.receiving(0), 0);
  EXPECT_TRUE(std::isinf(net.next_completion()));
}

TEST(KvTransferNetwork, ATransferStartingHalfwayThroughAnotherSharesTheLinkFromThen) {
  // A: 100 bytes from t = 0 alone at 100 B/s would end at 1. B starts at 0.5 when A has 50
  // left: both go at 50 B/s, A ends at 0.5 + 50/50 = 1.5; B has 50 left then and, alone
  // again at 100 B/s, ends at 1.5 + 0.5 = 2.
  KvTransferNetwork net({100.0}, {100.0});
  net.start(0.0, 1, 0, 0, 100.0);
  EXPECT_DOUBLE_EQ(net.next_completion(), 1.0);
  net.start(0.5, 2, 0, 0, 100.0);
  EXPECT_EQ(net.sending(0), 2);
  EXPECT_DOUBLE_EQ(net.next_completion(), 1.5);
  std::vector<RequestId> done;
  // Nothing has finished before then: no change, and the foreseen completion stands.
  const auto v = net.version();
  net.complete(1.0, done);
  EXPECT_TRUE(done.empty());
  EXPECT_EQ(net.version(), v);
  EXPECT_DOUBLE_EQ(net.next_completion(), 1.5);
  net.complete(1.5, done);
  EXPECT_EQ(done, std::vector<RequestId>{1});
  EXPECT_NE(net.version(), v);
  EXPECT_DOUBLE_EQ(net.next_completion(), 2.0);
  done.clear();
  net.complete(2.0, done);
  EXPECT_EQ(done, std::vector<RequestId>{2});
  EXPECT_EQ(net.num_active(), 0u);
}

TEST(KvTransferNetwork, TwoEqualTransfersStartedTogetherEndTogetherAfterTwiceTheTimeInStartOrder) {
  KvTransferNetwork net({64.0}, {64.0});
  net.start(1.0, 5, 0, 0, 32.0);
  net.start(1.0, 3, 0, 0, 32.0);
  EXPECT_DOUBLE_EQ(net.next_completion(), 2.0);  // 32 bytes at 64 / 2 B/s each
  std::vector<RequestId> done;
  net.complete(2.0, done);
  EXPECT_EQ(done, (std::vector<RequestId>{5, 3}));
  EXPECT_EQ(net.num_active(), 0u);
}

TEST(KvTransferNetwork, EachTransferGoesAtTheShareOfItsBusierEnd) {
  // Senders 0 and 1 carry 100 B/s each; receiver 0 100 B/s, receiver 1 400 B/s.
  //   A: 0 -> 0, 100 bytes   rate min(100/1, 100/2) = 50
  //   B: 1 -> 0, 200 bytes   rate min(100/2, 100/2) = 50
  //   C: 1 -> 1,  50 bytes   rate min(100/2, 400/1) = 50  -> ends at 1
  // At 1: A has 50 left at min(100/1, 100/2) = 50 -> ends at 2; B has 150 left at
  // min(100/1, 100/2) = 50. At 2: B has 100 left, alone at min(100, 100) = 100 -> ends at 3.
  KvTransferNetwork net({100.0, 100.0}, {100.0, 400.0});
  net.start(0.0, 10, 0, 0, 100.0);
  net.start(0.0, 11, 1, 0, 200.0);
  net.start(0.0, 12, 1, 1, 50.0);
  EXPECT_EQ(net.sending(1), 2);
  EXPECT_EQ(net.receiving(0), 2);
  EXPECT_EQ(net.receiving(1), 1);
  std::vector<RequestId> done;
  EXPECT_DOUBLE_EQ(net.next_completion(), 1.0);
  net.complete(net.next_completion(), done);
  EXPECT_EQ(done, std::vector<RequestId>{12});
  EXPECT_DOUBLE_EQ(net.next_completion(), 2.0);
  net.complete(net.next_completion(), done);
  EXPECT_EQ(done, (std::vector<RequestId>{12, 10}));
  EXPECT_DOUBLE_EQ(net.next_completion(), 3.0);
  net.complete(net.next_completion(), done);
  EXPECT_EQ(done, (std::vector<RequestId>{12, 10, 11}));
  EXPECT_TRUE(std::isinf(net.next_completion()));
}

TEST(KvTransferNetwork, AReceiverBoundTransferLeavesItsSendersRestUnused) {
  // Sender 0 (400 B/s) sends to receivers 0 and 1 (100 B/s each): each transfer is held to
  // its receiver's 100 B/s, though the sender could give each 200.
  KvTransferNetwork net({400.0}, {100.0, 100.0});
  net.start(0.0, 1, 0, 0, 100.0);
  net.start(0.0, 2, 0, 1, 300.0);
  EXPECT_DOUBLE_EQ(net.next_completion(), 1.0);
  std::vector<RequestId> done;
  net.complete(1.0, done);
  EXPECT_EQ(done, std::vector<RequestId>{1});
  EXPECT_DOUBLE_EQ(net.next_completion(), 3.0);  // 200 left at 100 B/s
}

TEST(KvTransferNetwork, ATransferBetweenUnknownReplicasIsRefused) {
  KvTransferNetwork net({100.0}, {100.0});
  EXPECT_THROW(net.start(0.0, 1, 1, 0, 10.0), SimulationError);
  EXPECT_THROW(net.start(0.0, 1, 0, -1, 10.0), SimulationError);
  EXPECT_EQ(net.num_active(), 0u);
}
