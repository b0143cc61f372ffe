"""Social security card (社保卡) over PC/SC: chip bytes (``apdu``), the pyscard transport
(``pcsc_transport``), the driver (``pcsc_reader``) and pluggable secure access (``secure_access``)."""
