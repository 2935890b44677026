# Read by the `flask` command (python-dotenv): which app to load.
FLASK_APP=wsgi
