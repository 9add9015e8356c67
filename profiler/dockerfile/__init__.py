"""Dockerfiles: parse stages and instructions, map build steps to lines, rewrite.

The progress stream carries no line numbers, only names like ``[backend 3/5] RUN
make``. This module parses a Dockerfile the way BuildKit's frontend does, far enough
to number each stage's steps as BuildKit numbers them, so a step maps back to its
instruction and line:

- Parser directives at the top (``# escape=`` changes the line-continuation
  character; ``# syntax=`` and ``# check=`` are kept), comments (also inside a
  continued instruction), empty continuation lines, and heredocs (``RUN <<EOF`` …
  ``EOF``, ``<<-`` strips leading tabs) whose bodies are part of the instruction.
- Stages: ``FROM [--platform=…] image [AS name]``; names are case-insensitive;
  unnamed stages are ``stage-N`` by index; ``ARG`` before the first ``FROM`` is global
  and its defaults expand ``$VAR`` / ``${VAR}`` / ``${VAR:-x}`` in ``FROM``.
- Numbering (BuildKit ``dockerfile2llb``, checked against the recorded samples): a
  stage's ``n`` counts ``ADD``, ``COPY``, ``RUN`` and ``WORKDIR``, plus its ``FROM``
  when the base is an image (not ``scratch``, not an earlier stage). ``ENV``, ``ARG``,
  ``LABEL``, ``CMD``, ``EXPOSE``… make no vertex and get no number. A file with one
  stage (and no ``COPY --from`` an image) names no stage: ``[2/4] RUN …``.
- Two stages ``FROM`` the same image share one vertex, shown under the first name
  BuildKit gave it: :meth:`Dockerfile.locate` maps it to the FROM line of that stage.

Rewrites are plain text edits (:class:`Edit`) turned into a unified diff with difflib.
"""

from profiler.dockerfile.model import (
    HEREDOC_INSTRUCTIONS,
    KNOWN_INSTRUCTIONS,
    VERTEX_INSTRUCTIONS,
    Dockerfile,
    DockerfileError,
    Heredoc,
    Instruction,
    Stage,
    normalize_image,
    source_references,
)
from profiler.dockerfile.parse import expand, parse_dockerfile, read_dockerfile, recorded_dockerfile
from profiler.dockerfile.rewrite import Edit, apply_edits, unified_diff
from profiler.dockerfile.touches import (
    CopySpec,
    copy_spec,
    mentions_path,
    minimal_cover,
    resolve,
    written_paths,
)

__all__ = [
    "HEREDOC_INSTRUCTIONS",
    "KNOWN_INSTRUCTIONS",
    "VERTEX_INSTRUCTIONS",
    "CopySpec",
    "Dockerfile",
    "DockerfileError",
    "Edit",
    "Heredoc",
    "Instruction",
    "Stage",
    "apply_edits",
    "copy_spec",
    "expand",
    "mentions_path",
    "minimal_cover",
    "normalize_image",
    "parse_dockerfile",
    "read_dockerfile",
    "recorded_dockerfile",
    "resolve",
    "source_references",
    "unified_diff",
    "written_paths",
]
