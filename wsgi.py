"""Entry point for servers: `gunicorn -c gunicorn.conf.py wsgi:app`, `flask --app wsgi`."""

from dotenv import load_dotenv

load_dotenv()

from app import create_app  # noqa: E402 - .env must be loaded before the app reads it

app = create_app()
