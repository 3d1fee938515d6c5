// GoogleTest main for the sweep tests: they run the master/worker code in one process, which
// needs MPI initialised as the sweep command does (a singleton, no launcher).
#include <gtest/gtest.h>
#include <mpi.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  const int result = RUN_ALL_TESTS();
  MPI_Finalize();
  return result;
}
