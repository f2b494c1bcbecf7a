"""Interoperable credentials: W3C VC 2.0 / Open Badges 3.0, Bitstring Status List, did:web."""
