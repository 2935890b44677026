"""Write a .env with fresh random secrets, unless one exists already.

Usage: python3 scripts/init_env.py [path]   (default: .env)
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

TEMPLATE = """\
# Written by scripts/init_env.py; see README.md, "Configuration".
SECRET_KEY={secret_key}
JWT_SECRET_KEY={jwt_secret_key}
# DATABASE_URL=postgresql://user:password@127.0.0.1:5432/conduit
"""


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else ".env")
    if path.exists():
        print(f"{path} exists; leaving it as it is")
        return 0
    path.write_text(
        TEMPLATE.format(
            secret_key=secrets.token_urlsafe(48), jwt_secret_key=secrets.token_urlsafe(48)
        )
    )
    path.chmod(0o600)
    print(f"wrote {path} with fresh secrets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
