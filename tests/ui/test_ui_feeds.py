"""kiosk.ui_feeds: the preview shows the frames the flow's worker read (the UI never reads the
camera) and the on-screen PIN keys exist only in the weaker on-screen mode."""

from __future__ import annotations

import dataclasses

import numpy as np

from hal.pinpad.onscreen import OnScreenPinPad
from hal.sim.camera import SimCamera
from hal.sim.pin_pad import SimPinPad
from hal.types import PinEntryEventKind
from kiosk.config import Config, load_config
from kiosk.devices import DeviceSet
from kiosk.ui_feeds import PreviewFeed, TappedCamera, ui_feeds


def onscreen_config() -> Config:
    cfg = load_config(None)
    return dataclasses.replace(cfg, devices=dataclasses.replace(
        cfg.devices, pin_pad=dataclasses.replace(cfg.devices.pin_pad, driver="onscreen")))


def test_the_preview_shows_what_the_worker_read_and_forgets_it_at_the_end() -> None:
    camera = SimCamera()
    devices = DeviceSet(camera=camera)
    feeds = ui_feeds(load_config(None), devices)
    assert feeds.preview_frames is not None and feeds.preview_frames() is None  # nothing read yet
    face = np.zeros((120, 160, 3), dtype=np.uint8)
    face[40:80, 60:100] = 200
    camera.present(face)  # through the tap too: simulator steering still reaches the camera
    read = devices.camera.read_frame() if devices.camera is not None else None  # the flow's worker
    got = feeds.preview_frames()
    assert got is not None and read is not None and got[1] is read and got[0] == 1
    assert feeds.preview_frames() == got  # polling again reads nothing new from the camera
    feeds.clear_preview()
    assert feeds.preview_frames() is None


def test_a_second_build_reuses_the_tap() -> None:
    devices = DeviceSet(camera=SimCamera())
    ui_feeds(load_config(None), devices)
    tap = devices.camera
    ui_feeds(load_config(None), devices)
    assert isinstance(tap, TappedCamera) and devices.camera is tap and not isinstance(tap.camera, TappedCamera)


def test_a_runtime_feed_taps_only_the_flows_devices() -> None:
    """The runtime's wiring: its own device set keeps the bare simulator (the maintenance screen
    steers it), the flow's set reads through the tap, and the screens see those frames."""
    camera = SimCamera()
    devices = DeviceSet(camera=camera)
    preview = PreviewFeed()
    flow_devices = preview.flow_devices(devices)
    feeds = ui_feeds(load_config(None), devices, preview)
    assert devices.camera is camera and isinstance(flow_devices.camera, TappedCamera)
    assert preview.flow_devices(flow_devices) is flow_devices  # never tapped twice
    assert feeds.preview_frames is not None and feeds.preview_frames() is None
    frame = flow_devices.camera.read_frame()
    got = feeds.preview_frames()
    assert got is not None and got[1] is frame


def test_no_camera_no_preview() -> None:
    assert ui_feeds(load_config(None), DeviceSet()).preview_frames is None


def test_on_screen_keys_reach_the_on_screen_pad_only_in_its_mode() -> None:
    pad = OnScreenPinPad()
    feeds = ui_feeds(onscreen_config(), DeviceSet(pin_pad=pad))
    assert feeds.pin_key is not None
    pad.start_entry(6, 6, 30.0)
    feeds.pin_key("7")
    event = pad.next_event(1.0)
    assert event is not None and event.kind is PinEntryEventKind.DIGIT and event.digits_entered == 1
    # A hardware pad (here its simulator, which also has keys for tests) takes the PIN itself.
    assert ui_feeds(load_config(None), DeviceSet(pin_pad=SimPinPad())).pin_key is None
