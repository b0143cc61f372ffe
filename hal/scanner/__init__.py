"""QR/barcode scanners: serial (Honeywell-style), HID keyboard wedge (evdev), the kiosk's camera (zxing-cpp)."""
