"""Imports every model module so that SQLAlchemy's metadata (and Alembic) see all tables."""

from ysdw_live.actions import models as action_models  # noqa: F401
from ysdw_live.audit import models as audit_models  # noqa: F401
from ysdw_live.auth import models as auth_models  # noqa: F401
from ysdw_live.concerns import models as concern_models  # noqa: F401
from ysdw_live.impact import models as impact_models  # noqa: F401
from ysdw_live.meetings import models as meeting_models  # noqa: F401
from ysdw_live.polls import models as poll_models  # noqa: F401
from ysdw_live.series import models as series_models  # noqa: F401
from ysdw_live.surveys import models as survey_models  # noqa: F401
