"""The KoNLPy taggers and their JVM: started once per process and reused."""

from __future__ import annotations

import os
import shutil
import threading
from importlib import resources

from ndmatch.errors import JavaNotFoundError, UsageError

TAGGERS = ("komoran", "okt")

#: Serial GC and a preallocated heap: loading Komoran's dictionaries takes 1.5 s instead of 2.4 s with the
#: default G1 collector on this 2-core machine (measured; see README, performance).
#: C1-only JIT (TieredStopAtLevel=1): on 2 cores the C2 compiler competes with the work itself; starting
#: Komoran plus tokenizing the first 1,000 proposals fell from 12-13 s to 6.4 s (measured, issue 6), at the
#: cost of ~30 % slower steady-state tokenizing (README, performance).
JVM_OPTIONS = ("-Dfile.encoding=UTF8", "-XX:+UseSerialGC", "-Xms512m", "-Xmx2048m", "-XX:TieredStopAtLevel=1")
#: A long-running process (``ndmatch serve``) keeps the full tiered JIT: after a warm-up, C2-compiled Komoran
#: tokenizes about 1.2x faster than C1 only (measured, README, performance).
LONG_RUNNING_JVM_OPTIONS = tuple(o for o in JVM_OPTIONS if not o.startswith("-XX:TieredStopAtLevel"))

_tagger_lock = threading.Lock()
_taggers: dict[str, object] = {}
_tagger_pid: int | None = None


def _konlpy_classpath() -> list[str]:
    """KoNLPy's bundled jars, as its own ``init_jvm`` lists them."""
    from konlpy import utils

    javadir = os.path.join(utils.installpath, "java")
    return [os.path.join(javadir, "*"), os.path.join(javadir, "bin")]


def start_jvm(long_running: bool = False) -> None:
    """Start this process's JVM for KoNLPy (no-op if running), tuned for a short or a long-running process."""
    _start_jvm(LONG_RUNNING_JVM_OPTIONS if long_running else JVM_OPTIONS)


def _unlink_garbage_collectors(jpype) -> None:
    """Keep JPype from hooking every Python garbage collection (before the JVM starts).

    JPype registers a ``gc.callbacks`` hook that, on every Python collection, measures the process's memory
    with glibc's ``mallinfo`` and may run Java's collector; with Komoran's dictionaries in the heap each hook
    took about 0.2 s here, so one collection during an explanation cost 0.9 s and scikit-learn's import ran
    up to three times slower beside a loading Komoran (measured; README, performance). The maintainers call it
    a known defect (jpype-project/jpype#1197, #1315) and give this workaround. The hook only matters for
    reference cycles through Java proxies; ndmatch passes strings to Komoran and gets strings back.
    """
    native = getattr(jpype, "_jpype", None)
    if native is not None and hasattr(native, "_collect"):
        native._collect = lambda *args, **kwargs: None


def _start_jvm(options: tuple[str, ...] = JVM_OPTIONS) -> None:
    """Start the JVM for KoNLPy, turning JPype's failures into one actionable error."""
    import jpype

    if jpype.isJVMStarted():
        return
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise JavaNotFoundError(
            "no Java runtime found: KoNLPy needs Java 8 or newer. Install one "
            "(Debian/Ubuntu: apt-get install default-jre-headless) or set JAVA_HOME."
        )
    try:
        _unlink_garbage_collectors(jpype)
        jpype.startJVM(jpype.getDefaultJVMPath(), *options, classpath=_konlpy_classpath(),
                       convertStrings=True)
    except jpype.JVMNotFoundException as exc:
        raise JavaNotFoundError(
            f"no usable Java runtime found ({exc}). Install one "
            "(Debian/Ubuntu: apt-get install default-jre-headless) or set JAVA_HOME to it."
        ) from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise JavaNotFoundError(
            f"the Java runtime failed to start ({exc}). Check JAVA_HOME and that Java 8+ is installed."
        ) from exc


def get_tagger(name: str):
    """Return this process's KoNLPy tagger ``name`` ('komoran' or 'okt'), creating it on first use."""
    global _tagger_pid
    if name not in TAGGERS:
        raise UsageError(f"unknown tagger {name!r}: choose one of {', '.join(TAGGERS)}")
    with _tagger_lock:
        if _tagger_pid is not None and _tagger_pid != os.getpid():
            # A JVM does not survive fork(); a forked child must not reuse the parent's tagger objects.
            _taggers.clear()
        _tagger_pid = os.getpid()
        tagger = _taggers.get(name)
        if tagger is None:
            _start_jvm()
            if name == "komoran":
                from konlpy.tag import Komoran

                userdic = resources.files("ndmatch.data").joinpath("komoran_userdic.txt")
                with resources.as_file(userdic) as path:
                    tagger = Komoran(userdic=str(path))
            else:
                from konlpy.tag import Okt

                tagger = Okt()
            _taggers[name] = tagger
        return tagger



def preload_tagger(name: str) -> threading.Thread | None:
    """Start the JVM and load tagger ``name`` in a background thread; return it (``None`` if nothing to do).

    Komoran's dictionaries take about 1.6 s of Java work, during which JPype releases the GIL, so the caller
    can meanwhile import scikit-learn and read the model on the other core. Failures are not raised here:
    the caller's own :func:`get_tagger` call repeats them with one clear error.
    """
    if name not in TAGGERS or (_taggers.get(name) is not None and _tagger_pid == os.getpid()):
        return None

    def load() -> None:
        try:
            get_tagger(name)
        except Exception:  # noqa: BLE001 - reported by the caller's own get_tagger() call
            pass

    thread = threading.Thread(target=load, name=f"ndmatch-preload-{name}", daemon=True)
    thread.start()
    return thread
