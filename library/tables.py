"""Every domain's models, imported together: SQLAlchemy resolves relationships named by string
("User", "Studio") across domains, and Alembic compares the schema against all of Base.metadata.

A new domain with models adds its module here."""

from library.accounts import models as accounts  # noqa: F401
from library.assessment import models as assessment  # noqa: F401
from library.audit import models as audit  # noqa: F401
from library.jobs import models as jobs  # noqa: F401
from library.lending import models as lending  # noqa: F401
from library.notifications import models as notifications  # noqa: F401
from library.resources import models as resources  # noqa: F401
from library.search import models as search  # noqa: F401
from library.shelf import models as shelf  # noqa: F401
from library.stats import models as stats  # noqa: F401
from library.studios import models as studios  # noqa: F401
from library.textbooks import models as textbooks  # noqa: F401
