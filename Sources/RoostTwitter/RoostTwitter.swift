// The X channel: parsing of X API v2 payloads and the TWCS CSV, threading, tweet length.
