"""Reference for the app benchmark: ``app.py`` as a plain Streamlit script, without the
server start-up warm-up (``streamlit run`` finds no ``st.App`` here, so it runs this file
per session, which runs ``app.py``'s session branch). Compare with
``python bench/bench_app.py --app bench/no_warmup_app.py --app app.py``.
"""

from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
exec(
    compile(APP.read_text(encoding="utf-8"), str(APP), "exec"),
    {"__file__": str(APP), "__name__": "__main__"},
)
