"""The analysis package reads sweep files without MPI: its HDF5 library is a serial build and
nothing it imports brings in an MPI binding, so it runs on a laptop or a login node."""
import subprocess
import sys


def test_importing_and_loading_brings_in_no_mpi(tmp_path):
    # A fresh interpreter, so that modules other tests imported do not count.
    code = (
        "import sys, h5py, analysis\n"
        "assert not h5py.get_config().mpi, 'h5py is an MPI build'\n"
        "assert not [m for m in sys.modules if m.startswith('mpi4py')], 'mpi4py was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
