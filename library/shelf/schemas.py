"""What the shelf API takes and answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from library.validation import RowId, Schema, label


class FavouriteBody(Schema):
    """POST /api/v1/me/favourites: the resource to keep."""

    resource_id: RowId = Field(title=label("成果编号"))


class ShelfItem(BaseModel):
    id: int
    title: str
    kind: str
    subject: str
    stage: str
    studio: str
    url: str
    at: str = Field(description="收藏或最后浏览的时间（UTC）")


class ShelfList(BaseModel):
    items: list[ShelfItem]


class FavouriteOut(BaseModel):
    resource_id: int
    favourite: bool
