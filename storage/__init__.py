"""File storage for Studio Library: one interface, a local-directory and an S3 implementation."""

from storage.config import storage_from_url
from storage.disposition import content_disposition
from storage.errors import InvalidKey, ObjectNotFound, StorageConfigError, StorageError
from storage.keys import content_key, validate_key
from storage.local import LocalStorage
from storage.protocol import ByteChunks, Storage
from storage.s3 import S3Storage, default_transfer_config, make_s3_client
from storage.spool import HashingSpool

__all__ = [
    "ByteChunks",
    "HashingSpool",
    "InvalidKey",
    "LocalStorage",
    "ObjectNotFound",
    "S3Storage",
    "Storage",
    "StorageConfigError",
    "StorageError",
    "content_disposition",
    "content_key",
    "default_transfer_config",
    "make_s3_client",
    "storage_from_url",
    "validate_key",
]
