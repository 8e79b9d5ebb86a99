"""(being written) categories endpoints."""

from __future__ import annotations

from .http import Endpoint

ENDPOINTS: list[Endpoint] = []
