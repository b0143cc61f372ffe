"""Cameras: OpenCV devices and file/video sources."""
