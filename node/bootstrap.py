"""Creating a node: data folder, database, instance actor, network Group, first admin, config file."""

import shutil

from .accounts import add_user, create_actor
from .auth import KEY_FILE, ensure_session_key
from .config import CONFIG_FILE, DATABASE_FILE, Config, write_config
from .datadir import make_private, private_files
from .db import Database
from .urls import INSTANCE_ACTOR_USERNAME


class InitError(Exception):
    """The node cannot be created; nothing was left behind."""


async def init_node(config: Config, *, admin: str, password: str, admin_name: str | None = None) -> None:
    """Create everything a node needs, or nothing: on any failure the files made so far are removed,
    so a second `init` starts clean. The config file is written last, as the sign of a finished init.
    `admin_name`: the first admin's display name (their user name when None)."""
    data = config.data_dir
    if (data / CONFIG_FILE).exists():
        raise InitError(f"{data} already holds a node ({CONFIG_FILE} exists)")
    if admin.lower() == config.network.lower():
        raise InitError("the admin and the network actor need different names")
    created_dir = not data.exists()
    try:
        data.parent.mkdir(parents=True, exist_ok=True)
        with private_files():  # the folder 0700, its files 0600: the database holds every private key
            data.mkdir(mode=0o700, exist_ok=True)
            make_private(data)  # a folder made beforehand
            ensure_session_key(data)  # the key of login session cookies
            db = await Database.open(config.database_path)
            try:
                async with db.transaction() as tx:
                    await create_actor(tx, username=INSTANCE_ACTOR_USERNAME, type="Application", name=config.title)
                    await create_actor(tx, username=config.network, type="Group", name=config.title,
                                       manually_approves=config.manual_approval)
                    await add_user(tx, username=admin, password=password, role="admin", display_name=admin_name)
            finally:
                await db.close()
            write_config(config)
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            (data / f"{DATABASE_FILE}{suffix}").unlink(missing_ok=True)
        (data / CONFIG_FILE).unlink(missing_ok=True)
        (data / KEY_FILE).unlink(missing_ok=True)
        if created_dir:
            shutil.rmtree(data, ignore_errors=True)
        raise
