"""The reference central server (社保卡管理系统 gateway) of central-api.md, for development, demos and tests.

Never imported by kiosk/hal/screens/offline_queue; tests and the CLI start it.
"""
