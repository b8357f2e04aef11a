"""The hello-world Flask app that ``bench_pages`` serves under gunicorn as the baseline."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """Answer with a constant."""
    return "hello, world"
