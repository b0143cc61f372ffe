"""Document capture (高拍仪): find the page in a frame, straighten it, judge it, encode it.

Plain functions on OpenCV frames, no device and no UI: kiosk.flows.documents drives the camera
and the screens with them.
"""
