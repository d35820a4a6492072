"""`python -u -m parbench_py`: one repetition of a py.* case (PROTOCOL.md)."""
import os
import signal
import sys
import traceback

from .protocol import CTL_IN, CTL_OUT, RECORDS_FD, Control, SetupError
from .workloads import failure_text


def main():
    stopped = []
    signal.signal(signal.SIGINT, lambda *a: stopped.append(1))  # until the run takes it over
    for fd in (CTL_IN, CTL_OUT, RECORDS_FD):
        try:
            os.set_inheritable(fd, False)  # never into what user code starts
        except OSError:
            sys.exit("parbench_py: fds 3, 4 and 5 must be open (see PROTOCOL.md)")
    ctl, run, code = Control(), None, 0
    try:
        from .runners import Run, run_case
        run = Run(ctl.read(), ctl)
        signal.signal(signal.SIGINT, run.on_sigint)
        if stopped:
            run.on_sigint()
        run_case(run)  # exits itself once done is sent
    except SetupError as e:
        if run is None or not run.ready_sent:
            ctl.send({"error": str(e)})
        else:
            print(f"parbench_py: {e}", file=sys.stderr)
            code = 1
    except BaseException as e:  # a bug, or the C side gone: the traceback explains
        traceback.print_exc()
        if run is None or not run.ready_sent:
            try:
                ctl.send({"error": f"python worker: {failure_text(e)} (its traceback is on stderr)"})
            except OSError:
                code = 1
        else:
            code = 1
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    os._exit(code)


main()
