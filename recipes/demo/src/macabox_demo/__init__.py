"""macabox-demo: a tiny tool that reports what a MACA container provides.

It is the application of the demo stack, which builds and tests fully offline on
the simulated MACA base (maca-sim) and works the same on a real MACA image. It
reads the MACA version from $MACA_PATH/Version.txt, the vendor torch build and
the GPUs torch can see, and can serve that report over HTTP so the service kind
of smoke test has something to wait for.
"""

__version__ = "0.1.0"
