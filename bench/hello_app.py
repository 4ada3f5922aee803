"""The baseline for bench/diary_api.py: the least a Flask app can do behind gunicorn.

``gunicorn -k gthread bench.hello_app:app``; GET /hello answers a tiny JSON body without a
database, sessions or auth, so (diary req/s) / (hello req/s) shows what our code costs.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return {"hello": "world"}
