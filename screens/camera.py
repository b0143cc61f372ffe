"""Live camera preview with a face guide. Frames come from a source the flow's worker fills;
the UI thread only copies the newest one into a texture (it never reads the camera)."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Line, Rectangle
from kivy.graphics.texture import Texture
from kivy.uix.widget import Widget

from screens.ports import FrameSource
from screens.widgets import OK_GREEN

GUIDE_WARN = (0.95, 0.55, 0.05, 1)


class CameraPreview(Widget):
    def __init__(self, source: FrameSource | None, fps: float = 15.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.source = source
        self.texture: Texture | None = None
        self.frames_shown = 0
        self._seq = -1
        self.good = False  # the photo checks passed on the last frame: the guide turns green
        self.frozen = False  # after capture: keep the last frame on screen
        self.document = False  # the document camera's platen: shown as it is, with a page guide
        with self.canvas:
            Color(0.1, 0.1, 0.12, 1)
            self._bg = Rectangle()
            self._tint = Color(1, 1, 1, 1)
            self._img = Rectangle()
        with self.canvas.after:
            self._guide_color = Color(*GUIDE_WARN)
            self._guide = Line(width=4)
            self._guide_cross = Line(width=2)
        self.bind(pos=self._layout, size=self._layout)
        self._ev = Clock.schedule_interval(self._poll, 1.0 / fps)

    def stop(self) -> None:
        self._ev.cancel()

    def set_good(self, good: bool) -> None:
        self.good = good
        self._guide_color.rgba = OK_GREEN if good else GUIDE_WARN

    def _poll(self, _dt: float) -> None:
        if self.source is None or (self.frozen and self.texture is not None) or self.get_root_window() is None:
            return  # a frozen preview still takes its one frame: the captured picture
        got = self.source()
        if got is None or got[0] == self._seq:
            return
        self._seq, frame = got
        h, w = frame.shape[:2]
        # A new texture per frame: overwriting the one the frame in flight samples would make
        # the GL driver wait for that frame (see screens.widgets.fresh_texture_update).
        texture = Texture.create(size=(w, h), colorfmt="rgb")
        texture.flip_vertical()  # numpy rows run top-down, GL bottom-up
        if not self.document:
            texture.flip_horizontal()  # a mirror: moving left moves left on screen
        texture.blit_buffer(frame.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.texture = texture
        self._img.texture = texture
        self.frames_shown += 1
        self._layout()

    def _layout(self, *_: Any) -> None:
        self._bg.pos, self._bg.size = self.pos, self.size
        tw, th = self.texture.size if self.texture is not None else (4, 3)
        scale = min(self.width / tw, self.height / th)
        w, h = tw * scale, th * scale
        x, y = self.x + (self.width - w) / 2, self.y + (self.height - h) / 2
        self._img.pos, self._img.size = (x, y), (w, h)
        if self.document:  # the area of the platen the page should lie in
            self._guide.rectangle = (x + w * 0.06, y + h * 0.06, w * 0.88, h * 0.88)
            self._guide_cross.points = []
            return
        # The guide: an upright oval where the head should be (the card photo's head geometry).
        gw, gh = h * 0.42, h * 0.62
        cx, cy = x + w / 2, y + h * 0.55
        self._guide.ellipse = (cx - gw / 2, cy - gh / 2, gw, gh)
        self._guide_cross.points = [cx - gw * 0.15, cy, cx + gw * 0.15, cy]

