"""Simulated document camera: renders the platen scene (hal.sim.document_scene) as frames.

Steering (demo console, tests): ``document kind=household_register|birth_certificate|
authorisation_letter|id_card|none``, ``fault kind=none|glare|blur|no_page``, and the base
``unplug``/``plug`` (the camera absent) and ``fail`` (the next read raises).
"""

from __future__ import annotations

from dataclasses import replace

from hal.interfaces import Frame
from hal.sim.base import SimDevice
from hal.sim.document_scene import ASPECTS, FAULTS, Scene, render
from hal.status import Media


class SimDocumentCamera(SimDevice):
    def __init__(self, name: str = "document_camera", width: int = 1280, height: int = 960) -> None:
        super().__init__(name)
        self.width = width
        self.height = height
        self._scene = Scene()
        self._frame: Frame | None = None
        self._resolution: tuple[int, int] | None = None

    @property
    def fps(self) -> float:
        return 15.0

    @property
    def resolution(self) -> tuple[int, int] | None:
        return self._resolution

    @property
    def scene(self) -> Scene:
        return self._scene

    def set_scene(self, scene: Scene) -> None:
        with self._lock:
            self._scene = scene
            self._frame = None  # rendered again on the next read

    def _media(self) -> Media:
        return Media.NOT_PRESENT if self._scene.kind is None or self._scene.fault == "no_page" else Media.PRESENT

    def read_frame(self) -> Frame | None:
        self._operation("read")
        with self._lock:
            if self._frame is None:
                self._frame = render(self._scene, (self.width, self.height))
            self._count("frames")
            self._resolution = (self.width, self.height)
            return self._frame.copy()

    def _steer(self, action: str, params: dict[str, object]) -> str:
        kind = str(params.get("kind", ""))
        if action == "document":
            if kind not in (*ASPECTS, "none"):
                raise ValueError(f"unknown document {kind!r}")
            self.set_scene(replace(self._scene, kind=None if kind == "none" else kind))
            return f"document {kind}"
        if action == "fault":
            if kind not in FAULTS:
                raise ValueError(f"unknown fault {kind!r}")
            self.set_scene(replace(self._scene, fault=kind))
            return f"fault {kind}"
        return super()._steer(action, params)
