"""Analysis of infersweep results: load the results and probes of a sweep's HDF5 file, or of a
search's output directory (capacity.csv, probes.csv), as pandas DataFrames, find the best deployment under latency SLOs and the Pareto fronts of QPS per
dollar against TTFT and TBT (the same rules as `infersweep pareto`), and draw the report.

    import analysis
    sweep = analysis.load("results.h5")          # also while the sweep is still writing it
    search = analysis.load("search-out/")        # a search's --output-dir, or its capacity.csv
    groups = analysis.analyse(sweep.results)     # per (model, trace)
    python3 -m analysis.report results.h5 --out report/

Needs only Debian's python3-h5py, python3-numpy, python3-pandas and python3-matplotlib."""

from .pareto import (ParetoGroup, SloLimits, analyse, best_under_slos, listed_configs, meets_slos,
                     near_front, pareto_front)
from .results import SweepFile, load, load_probes, load_results, load_search

__all__ = ["ParetoGroup", "SloLimits", "SweepFile", "analyse", "best_under_slos", "listed_configs", "load",
           "load_probes", "load_results", "load_search", "meets_slos", "near_front", "pareto_front"]
