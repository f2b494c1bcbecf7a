"""Extension singletons, initialised in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migration names)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model here is mapped to a Table (never a bare select), so say so for type checkers.
        __table__: ClassVar[sa.Table]


db = SQLAlchemy(model_class=Base)

# The class every model derives from. Flask-SQLAlchemy builds `db.Model` at run time (a subclass
# of Base that adds table names and binds); type checkers see the declarative Base it extends.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
