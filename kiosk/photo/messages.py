"""Instruction texts for the citizen, one stable code → (Chinese, English).

The UI pulls these into its string tables; codes never change meaning once shipped.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # photo checks (per frame)
    "ok": ("很好，请保持不动", "Good, please hold still"),
    "no_face": ("请站到摄像头前，正对摄像头", "Please stand in front of the camera and face it"),
    "multiple_faces": ("只能有一个人，请其他人离开画面", "Only one person please"),
    "not_frontal": ("请正对摄像头", "Please face the camera"),
    "head_tilted": ("请把头摆正", "Please hold your head straight"),
    "eyes_closed": ("请睁开眼睛", "Please open your eyes"),
    "hat": ("请摘下帽子，露出额头", "Please take off your hat"),
    "too_far": ("请靠近一些", "Please come closer"),
    "too_close": ("请站远一些", "Please step back a little"),
    "off_centre": ("请移到画面中间", "Please move to the centre of the picture"),
    "not_steady": ("请保持不动", "Please hold still"),
    "too_dark": ("光线不足", "Too dark"),
    "too_bright": ("光线太强", "Too bright"),
    "background_uneven": (
        "背景不均匀，请站到白色背景前",
        "The background is uneven, please stand in front of the white backdrop",
    ),
    # composing the card photo
    "capturing": ("正在拍照，请保持不动", "Taking the photo, please hold still"),
    "captured": ("拍照完成", "Photo taken"),
    "photo_geometry": (
        "无法按规格裁剪照片，请调整位置后重拍",
        "The photo cannot be framed to the specification, please adjust your position and retake",
    ),
    "photo_size": ("照片文件大小不符合要求，请重拍", "The photo file size is out of range, please retake"),
    # liveness and face verification
    "blink": ("请眨一下眼睛", "Please blink"),
    "turn_left": ("请慢慢向左转头", "Please slowly turn your head to the left"),
    "turn_right": ("请慢慢向右转头", "Please slowly turn your head to the right"),
    "look_straight": ("请正对摄像头", "Please look straight at the camera"),
    "liveness_passed": ("活体检测通过", "Liveness check passed"),
    "liveness_failed": ("活体检测未通过，请本人正对摄像头重试", "Liveness check failed, please try again in person"),
    "face_matched": ("人脸比对通过", "Face verified"),
    "face_mismatch": ("人脸比对未通过", "The face does not match"),
    "no_face_live": ("未检测到人脸，请正对摄像头", "No face found, please face the camera"),
    "no_face_reference": ("证件照片无法识别", "The reference photo cannot be used"),
}


def message(code: str, language: str = "zh") -> str:
    """The instruction for ``code`` in ``language`` ("zh" or "en")."""
    zh, en = MESSAGES[code]
    return en if language == "en" else zh
