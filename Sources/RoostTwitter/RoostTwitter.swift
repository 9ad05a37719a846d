// The X channel: parsing of X API v2 payloads and the TWCS CSV, threading, tweet length.
//
// Everything here is pure: no database, no network. Files:
//   TWCSReader / CSVScanner / ChunkedBytes   streaming RFC 4180 reader for the TWCS dataset
//   TWCSRecord / TWCSFields / TWCSError      one validated row and why a row was rejected
//   CivilTime                                 the two timestamp formats, hand-parsed to epoch millis
//   HTMLEntities                              the entity decoding the dataset needs
//   Threading                                 tweet id -> thread root
//   SignatureParser                           an agent's initials at the end of a reply
//   TweetLength / TweetURLs                   X's weighted length (twitter-text v3)
//   XPayload / XItem / XPayloadError / JSONValue   X API v2 JSONL responses
