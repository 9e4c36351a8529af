"""The build side: what to build (``plan``), with what (``session``), how (``execute``,
``provisioner``, ``zygote``) and in what order (``build``, the recipe)."""

from __future__ import annotations

from .build import BUILT, FAILED, UP_TO_DATE, Report, Result, build, build_context, build_one, check
from .plan import Options, output_folder, plan, stem
from .session import Session

__all__ = ["BUILT", "FAILED", "UP_TO_DATE", "Options", "Report", "Result", "Session", "build", "build_context",
           "build_one", "check", "output_folder", "plan", "stem"]
