#include <gtest/gtest.h>

#include "infersweep/common/error.hpp"
#include "infersweep/sim/kv_block_manager.hpp"

using namespace infersweep;
using infersweep::sim::KvBlockManager;

TEST(KvBlockManager, AllocatesFreesAndRefusesToOverAllocate) {
  KvBlockManager m(10, 4);
  EXPECT_TRUE(m.can_allocate(10));
  m.allocate(0, 4);
  m.allocate(1, 3);
  m.allocate(0, 1);
  EXPECT_EQ(m.allocated(), 8);
  EXPECT_EQ(m.blocks_of(0), 5);
  EXPECT_EQ(m.num_holders(), 2u);
  EXPECT_FALSE(m.can_allocate(3));
  EXPECT_THROW(m.allocate(2, 3), SimulationError);
  EXPECT_EQ(m.allocated(), 8);
  m.free(0);
  m.free(0);  // freeing twice is harmless
  EXPECT_EQ(m.allocated(), 3);
  EXPECT_DOUBLE_EQ(m.usage_percent(), 30.0);
  EXPECT_FALSE(m.holds(0));
}

TEST(KvBlockManager, OneBlockEachIsOneAllocationPerRequest) {
  KvBlockManager m(6, 4);
  m.allocate(0, 2);
  m.allocate(1, 1);
  m.allocate_one_each({0, 1, 3});  // 3 held nothing: it becomes a holder
  EXPECT_EQ(m.allocated(), 6);
  EXPECT_EQ(m.blocks_of(0), 3);
  EXPECT_EQ(m.blocks_of(1), 2);
  EXPECT_EQ(m.blocks_of(3), 1);
  EXPECT_EQ(m.num_holders(), 3u);
  // Past the pool, the error is allocate's, and the blocks given before it stay given.
  m.free(3);
  EXPECT_THROW(m.allocate_one_each({0, 1}), SimulationError);
  EXPECT_EQ(m.allocated(), 6);
  EXPECT_EQ(m.blocks_of(0), 4);
}
