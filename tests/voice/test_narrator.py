"""The narrator against the simulated speaker: what a view says, live updates kept silent,
camera instructions rate-limited, repeat, stop, countdown, and a missing or faulty speaker."""

from __future__ import annotations

from dataclasses import replace

from hal.sim.audio import SimAudio
from hal.status import DeviceState
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, View
from kiosk.voice.narrator import Narrator, PromptLibrary


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def view(screen: str, message: str, **kw: object) -> View:
    return View(service=ServiceId.APPLY, screen=screen, step=1, total=9, title="service.apply", message=message,
                **kw)  # type: ignore[arg-type]


def narrator(clock: Clock | None = None) -> tuple[Narrator, SimAudio]:
    audio = SimAudio()
    return Narrator(audio, clock=clock or Clock()), audio


def plays(audio: SimAudio) -> list[tuple[str, ...]]:
    return [e[1:] for e in audio.log if e[0] == "play"]


def test_a_view_says_the_service_then_the_message_and_stops_the_last_speech_first() -> None:
    n, audio = narrator()
    below = {"where_id_reader": "below"}  # the configured place ([layout]) is spoken in the sentence
    n.view(view("read_id", "prompt.place_id_card", params=below), "zh")
    n.view(view("lookup", "prompt.looking_up"), "zh")
    assert audio.log == [("stop",), ("play", "zh.service.apply", "zh.prompt.place_id_card.0", "zh.where.below",
                                     "zh.prompt.place_id_card.1"), ("stop",), ("play", "zh.prompt.looking_up")]
    n.view(view("read_id", "prompt.place_id_card", params=below), "en")
    assert plays(audio)[-1] == ("en.prompt.place_id_card.0", "en.where.below")


def test_live_updates_saying_the_same_are_silent() -> None:
    n, audio = narrator()
    v = view("old_pin", "prompt.old_pin", params={"digits": "0"})
    n.view(v, "zh")
    for d in range(1, 7):
        n.view(replace(v, params={"digits": str(d)}), "zh")
    n.view(v, "zh")  # "more time" shows the same view again
    assert len(plays(audio)) == 1


def test_a_refusal_says_the_end_text_and_every_reason() -> None:
    n, audio = narrator()
    n.view(view("end", "end.refused", reasons=("reason.pin_wrong", "reason.id_expired"),
                params={"tries_left": "2"}, end=End.REFUSED), "zh")
    assert plays(audio) == [("zh.end.refused", "zh.reason.pin_wrong.0", "zh.num.2", "zh.reason.pin_wrong.1",
                             "zh.reason.id_expired")]


def test_a_changed_camera_instruction_waits_a_few_seconds() -> None:
    clock = Clock()
    n, audio = narrator(clock)
    n.view(view("photo", "photo.no_face", params={"hint": "no_face"}), "zh")
    clock.now += 1.0
    n.view(view("photo", "photo.too_far", params={"hint": "too_far"}), "zh")
    assert len(plays(audio)) == 1
    clock.now += 4.0
    n.view(view("photo", "photo.too_far", params={"hint": "too_far", "steady": "1"}), "zh")
    assert plays(audio)[-1] == ("zh.photo.too_far",)
    clock.now += 0.5
    n.view(view("photo_confirm", "prompt.photo_confirm"), "zh")  # another screen: at once
    assert plays(audio)[-1] == ("zh.prompt.photo_confirm",)


def test_repeat_stop_countdown_and_home_screens() -> None:
    n, audio = narrator()
    n.view(view("take_card", "prompt.take_card", params={"where_card_output": "right"}), "zh")
    n.countdown(10, "zh")
    n.repeat()
    assert plays(audio)[-2:] == [("zh.num.10", "zh.voice.countdown.1"),
                                 ("zh.service.apply", "zh.prompt.take_card.0", "zh.where.right",
                                  "zh.prompt.take_card.1")]
    n.stop()
    assert audio.log[-1] == ("stop",)
    n.screen(("oos.title", "oos.hotline"), "en", {"hotline": "12333"})
    assert plays(audio)[-1] == ("en.oos.title", "en.oos.hotline.0", "en.digit.1", "en.digit.2", "en.digit.3",
                                "en.digit.3", "en.digit.3")
    n.repeat()
    assert plays(audio)[-1] == plays(audio)[-2]
    n.notice(("idle.more_time_prompt",), "zh")
    n.repeat()
    assert plays(audio)[-2:] == [("zh.idle.more_time_prompt",), plays(audio)[-3]]
    n.set_volume(0.3)
    assert audio.volume() == n.volume() == 0.3


def test_every_clip_played_is_a_real_file() -> None:
    lib = PromptLibrary()
    assert all(p.is_file() for p in lib.files(["zh.service.apply", "en.num.120", "zh.surname.u5f20"]))


def test_no_speaker_disabled_or_faulty_speaker_never_raises() -> None:
    silent = Narrator(None)
    silent.view(view("read_id", "prompt.place_id_card"), "zh")
    silent.repeat()
    silent.countdown(5, "zh")
    silent.stop()
    assert silent.volume() == 0.8
    n, audio = narrator()
    n.enabled = False
    n.view(view("read_id", "prompt.place_id_card"), "zh")
    assert plays(audio) == []
    n.enabled = True
    audio.steer("no_device")
    n.view(view("lookup", "prompt.looking_up"), "zh")
    assert plays(audio) == [] and audio.status().state is DeviceState.NO_DEVICE
    audio.steer("fail", code="io")
    n.repeat()
