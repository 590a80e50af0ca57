"""Who may do what: the one place pages, the API and search ask.

Site roles: admin (bureau), coordinator (研训员, liaises with some studios), teacher, school.
Studio roles: host (主持人), member (成员), trainee (学员).
Reviewers of a studio are its host, its liaison coordinators and admins.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from library.accounts.models import User
from library.lending.models import Agreement, Loan
from library.resources.models import Resource
from library.studios.models import Studio
from search_index import Audience

VISIBILITIES = ("public", "internal", "studio", "lendable")

# Review workflow: action → (statuses it starts from, status it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({"draft", "returned", "withdrawn"}), "submitted"),
    "publish": (frozenset({"draft", "submitted", "returned", "withdrawn"}), "published"),
    "return": (frozenset({"submitted"}), "returned"),
    "withdraw": (frozenset({"published"}), "withdrawn"),
}


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == "admin"


def studio_roles(user: User | None) -> dict[int, str]:
    """Studio id → the user's role in it."""
    if user is None:
        return {}
    return {m.studio_id: m.role for m in user.memberships}


def liaison_ids(user: User | None) -> set[int]:
    """Studios a coordinator liaises with."""
    if user is None or user.role != "coordinator":
        return set()
    return {s.id for s in user.liaison_studios}


def reviewed_ids(user: User | None) -> set[int]:
    """Studios whose outputs the user reviews: hosted ones and, for coordinators, liaison ones."""
    return {sid for sid, role in studio_roles(user).items() if role == "host"} | liaison_ids(user)


def can_review(user: User | None, studio_id: int) -> bool:
    """Publish, return and see everything of a studio."""
    return is_admin(user) or studio_id in reviewed_ids(user)


def can_manage_members(user: User | None, studio: Studio) -> bool:
    """Admins, liaison coordinators and the host manage a studio's members and trainees."""
    return can_review(user, studio.id)


def can_manage_site(user: User | None) -> bool:
    """Users, schools, studios and vocabularies: the bureau's admins."""
    return is_admin(user)




def can_upload(user: User | None, studio: Studio) -> bool:
    """Admins, liaison coordinators and the studio's host, members and trainees add outputs."""
    return is_admin(user) or studio.id in studio_roles(user) or studio.id in liaison_ids(user)


def can_upload_somewhere(user: User | None) -> bool:
    """Whether some studio takes the user's uploads (the menu offers 上传成果 only then)."""
    return is_admin(user) or bool(studio_roles(user)) or bool(liaison_ids(user))


def needs_sign_in(resource: Resource) -> bool:
    """A published output that signed-in teachers see (登录可见, or lendable): a signed-out
    visitor is asked to sign in, not told it does not exist (studio-only ones stay not found)."""
    return resource.status == "published" and resource.visibility in ("internal", "lendable")


def can_publish_directly(user: User | None, studio: Studio) -> bool:
    """Reviewers may publish their own uploads at once."""
    return can_review(user, studio.id)


def _is_uploader(user: User | None, resource: Resource) -> bool:
    return user is not None and resource.uploader_id == user.id


def can_view(user: User | None, resource: Resource) -> bool:
    """Whether the resource page and its catalogue entry may be shown to the user."""
    if can_review(user, resource.studio_id) or _is_uploader(user, resource):
        return True
    if resource.status != "published":
        return False
    if resource.visibility == "public":
        return True
    if user is None:
        return False
    if resource.visibility in ("internal", "lendable"):
        return True
    return resource.studio_id in studio_roles(user)  # visibility "studio"


def can_download(user: User | None, resource: Resource, today: date | None = None) -> bool:
    """Whether the files may be opened: lendable files open to the studio and to a school while
    it holds an active loan of the resource (an agreement grants loans, not files)."""
    if not can_view(user, resource):
        return False
    if resource.visibility == "lendable":
        if can_review(user, resource.studio_id) or resource.studio_id in studio_roles(user):
            return True
        return active_loan(user, resource, today) is not None
    return True


# ---------------------------------------------------------------- lending (issue 6)

def loan_is_active(loan: Loan, today: date | None = None) -> bool:
    """A loan opens files only while granted and not past its due date (a county day), whether or
    not a sweep ran."""
    if today is None:
        from library import clock  # policy stays importable without an app

        today = clock.today()
    return loan.status == "active" and loan.due_on is not None and today <= loan.due_on


def open_to_loans(resource: Resource) -> bool:
    """Loans open an output's files while it stays published and not taken back into the studio
    (withdrawn, or made studio-only, ends every loan's access at once)."""
    return resource.status == "published" and resource.visibility != "studio"


def active_loan(user: User | None, resource: Resource, today: date | None = None) -> Loan | None:
    """The user's school's active loan of this resource, if any."""
    if user is None or user.role != "school" or user.school_id is None or not open_to_loans(resource):
        return None
    from library.db import get_session  # policy stays importable without an app

    rows = get_session().scalars(select(Loan).where(
        Loan.resource_id == resource.id, Loan.school_id == user.school_id, Loan.status == "active"))
    return next((loan for loan in rows if loan_is_active(loan, today)), None)


def is_studio_side(user: User | None, studio_id: int) -> bool:
    """The studio's host, its liaison coordinators and admins act for a studio in lending."""
    return can_review(user, studio_id)


def can_create_agreement(user: User | None, studio: Studio) -> bool:
    """Admins, the studio's liaison coordinators and its host draw up assistance agreements."""
    return is_studio_side(user, studio.id)


def can_see_agreement(user: User | None, agreement: Agreement) -> bool:
    """Both sides of the agreement and the bureau."""
    return (is_studio_side(user, agreement.studio_id) or is_school_of(user, agreement.school_id)
            or (user is not None and user.role == "coordinator"))


def is_school_of(user: User | None, school_id: int) -> bool:
    """A school account of that school."""
    return user is not None and user.role == "school" and user.school_id == school_id


def borrows(user: User | None) -> bool:
    """A school account, which borrows lendable outputs (search offers it the 可借阅 filter)."""
    return user is not None and user.role == "school" and user.school_id is not None


def can_borrow(user: User | None, resource: Resource) -> bool:
    """School accounts request published lendable outputs."""
    return borrows(user) and resource.visibility == "lendable" and resource.status == "published"


def can_see_loan(user: User | None, loan: Loan) -> bool:
    """The borrowing school and the lending studio's side."""
    return is_school_of(user, loan.school_id) or is_studio_side(user, loan.studio_id)


def can_decide_loan(user: User | None, loan: Loan) -> bool:
    """The host, liaison coordinators and admins approve or decline requests."""
    return is_studio_side(user, loan.studio_id)


def can_edit(user: User | None, resource: Resource) -> bool:
    """Reviewers edit anything of their studio; an uploader edits their own drafts and returned ones."""
    if can_review(user, resource.studio_id):
        return True
    return _is_uploader(user, resource) and resource.status in ("draft", "returned")


def can_read_review_notes(user: User | None, resource: Resource) -> bool:
    """Why a resource was returned, and by whom: its uploader and its reviewers (the people who
    mend it and the people who judged it), nobody else."""
    return can_review(user, resource.studio_id) or _is_uploader(user, resource)


def can_delete(user: User | None, resource: Resource) -> bool:
    """Same people as editing: deleting a published output is for reviewers only."""
    return can_edit(user, resource)


def can_transition(user: User | None, resource: Resource, action: str) -> bool:
    """Whether the user may take the workflow action (the current status is checked separately)."""
    if action in ("publish", "return"):
        return can_review(user, resource.studio_id)
    if action in ("submit", "withdraw"):
        return can_review(user, resource.studio_id) or _is_uploader(user, resource)
    return False


def visible_clause(user: User | None):
    """A SQL condition on Resource matching exactly what can_view allows, for lists and counts."""
    if is_admin(user):
        return true()
    published = Resource.status == "published"
    if user is None:
        return and_(published, Resource.visibility == "public")
    member_ids = list(studio_roles(user))
    reviewed = list(reviewed_ids(user))
    return or_(
        Resource.studio_id.in_(reviewed) if reviewed else false(),
        Resource.uploader_id == user.id,
        and_(
            published,
            or_(
                Resource.visibility.in_(("public", "internal", "lendable")),
                Resource.studio_id.in_(member_ids) if member_ids else false(),
            ),
        ),
    )


SHARED = ("public", "internal", "lendable")  # published, these open to every signed-in user
UNPUBLISHED = ("draft", "submitted", "returned", "withdrawn")


def audience_clause(user: User | None):
    """The published part of visible_clause, as search serves it (`audience`): what the catalogue
    counts from the index. Index-friendly (no OR across statuses), so newest-first lists of it are
    served by an index on (status, created_at)."""
    published = Resource.status == "published"
    if user is None:
        return and_(published, Resource.visibility == "public")
    if is_admin(user):
        return published
    studio_ids = sorted(set(studio_roles(user)) | liaison_ids(user))
    shared = Resource.visibility.in_(SHARED)
    return and_(published, or_(shared, Resource.studio_id.in_(studio_ids)) if studio_ids else shared)


def beyond_audience_clause(user: User | None):
    """What visible_clause allows beyond audience_clause, or None when nothing (anonymous): the
    unpublished outputs of the studios the user reviews, and the user's own uploads search does
    not serve (unpublished, or published studio-only in a studio they are no longer in); for
    admins every unpublished output. Disjoint from audience_clause; the two together are exactly
    visible_clause. Small (drafts), and served by indexes on (studio_id, status) and
    (uploader_id, status, visibility)."""
    if user is None:
        return None
    unpublished = Resource.status.in_(UNPUBLISHED)
    if is_admin(user):
        return unpublished
    studio_ids = sorted(set(studio_roles(user)) | liaison_ids(user))
    hidden: ColumnElement[bool] = Resource.visibility.not_in(SHARED)
    if studio_ids:
        hidden = and_(hidden, Resource.studio_id.not_in(studio_ids))
    # Two ANDed terms (not uploader AND (a OR b)): each is a range of (uploader_id, status, …),
    # which the planner then prefers to reading a whole studio or subject.
    mine = Resource.uploader_id == user.id
    own = or_(and_(mine, unpublished), and_(mine, Resource.status == "published", hidden))
    reviewed = sorted(reviewed_ids(user))
    return or_(and_(Resource.studio_id.in_(reviewed), unpublished), own) if reviewed else own


def audience(user: User | None) -> Audience:
    """Who search serves: published resources only (drafts live on studio and review pages)."""
    if user is None:
        return Audience(visibilities=frozenset({"public"}))
    if is_admin(user):
        return Audience(visibilities=frozenset(VISIBILITIES))
    # Liaison studios count for coordinators only, as in liaison_ids and visible_clause.
    liaison = user.liaison_studios if user.role == "coordinator" else []
    slugs = {m.studio.slug for m in user.memberships} | {s.slug for s in liaison}
    return Audience(visibilities=frozenset({"public", "internal", "lendable"}), studios=frozenset(slugs))


# Statistics and assessment

def can_view_stats(user: User | None, studio: Studio) -> bool:
    """A studio's dashboard and figures: admins, its liaison coordinators and its host."""
    if is_admin(user) or studio.id in liaison_ids(user):
        return True
    return studio_roles(user).get(studio.id) == "host"


def can_record_activity(user: User | None, studio: Studio) -> bool:
    """Trainings and teaching-research activities are recorded by the people who see the dashboard."""
    return can_view_stats(user, studio)


def can_view_city(user: User | None) -> bool:
    """The city overview, the who-helps-whom map and the assessment scores: admins and coordinators."""
    return user is not None and user.role in ("admin", "coordinator")


def can_manage_assessment(user: User | None) -> bool:
    """Editing the indicator set: the bureau's admins."""
    return is_admin(user)
