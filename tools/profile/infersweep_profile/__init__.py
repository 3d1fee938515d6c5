"""Operator profiler for infersweep's learned predictor.

Times the operators of one transformer layer on the local GPU (or, slowly, on the CPU for
testing) and writes them in the layout of Vidur's profiling data: compute/<sku>/<org>/<model>/
{mlp,attention}.csv, network/<node>/{all_reduce,send_recv}.csv and meta.json at the root.
Entry point: tools/profile/profile-gpu (see docs/profiler.md).
"""

FORMAT_VERSION = 1
