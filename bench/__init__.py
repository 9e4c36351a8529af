"""The benchmark of build.py against the naive papermill + nbconvert loop: see README.md here;
run it with ``make bench`` (``bench/bench_build.py``)."""
