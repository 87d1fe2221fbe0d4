"""Using the second core for the two biggest writes of a settlement: one job runs in a forked
child process while the caller goes on with its own work. With fork the child inherits the
computed results instead of receiving them pickled (200,000 settlement lines)."""
from __future__ import annotations

import multiprocessing
import pickle
import sys
from contextlib import contextmanager


def can_fork() -> bool:
    """Only on Linux: macOS defaults to spawn (fork is unsafe with its system libraries) and
    Windows has no fork; there the job simply runs first, in this process."""
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


class Beside:
    """What `beside` gives the block: after the block, `result` is what the job returned
    (pickled back from the child, so it must pickle)."""
    result = None


def _child(sender, job, args) -> None:
    try:
        result = job(*args)
        sender.send((None, result))
    except BaseException as e:  # noqa: BLE001 - every failure goes back to the parent
        try:
            pickle.loads(pickle.dumps(e))
            sender.send((e, None))
        except Exception:  # noqa: BLE001 - an exception that cannot travel goes as its text
            sender.send((RuntimeError(f"{type(e).__name__}: {e}"), None))
    finally:
        sender.close()


@contextmanager
def beside(job, *args, fork: bool | None = None):
    """Run job(*args) beside the with-block: in a forked child where possible, otherwise before
    the block. Leaving the block waits for the job and re-raises its exception; if the block
    itself raises, the child is stopped first. `with beside(...) as done:` — done.result is
    the job's return value once the block has ended."""
    done = Beside()
    if not (can_fork() if fork is None else fork):
        done.result = job(*args)
        yield done
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, job, args), daemon=True)
    process.start()
    sender.close()
    try:
        yield done
    except BaseException:
        process.terminate()
        process.join()
        raise
    try:
        error, done.result = receiver.recv()
    except EOFError:
        process.join()
        error = RuntimeError(f"后台写入进程意外退出（退出码 {process.exitcode}）。")
    finally:
        receiver.close()
    process.join()
    if error is not None:
        raise error
