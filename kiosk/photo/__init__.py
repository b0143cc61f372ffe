"""Card-photo capture (service 1) and face verification + liveness (service 7).

UI-independent: numpy + OpenCV + dlib with the face_recognition_models files. Frames are
BGR ``uint8`` arrays as the camera HAL delivers them. Nothing here logs or stores images.
Import the submodules directly (``kiosk.photo.session``, ``.compose``, ``.verify``,
``.liveness``, ``.checks``, ``.messages``); importing this package loads no model.
"""
