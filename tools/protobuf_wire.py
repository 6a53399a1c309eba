"""The protobuf wire format, as far as the fixture scripts need it to edit SentencePiece .model
files (ModelProto) without the protobuf library: split a message into its fields and join them
back. Varints are written in their shortest form, which is how protobuf writes them, so an
unchanged message re-encodes to the same bytes."""


def varint(b, i):
    """(value, next index) of the varint at b[i]."""
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def enc_varint(v):
    out = bytearray()
    while True:
        c, v = v & 0x7F, v >> 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def fields(b):
    """[(key, payload)] of a message (wire types 0, 1, 2, 5); a length-delimited field's payload
    is its content, any other field's payload is its value's bytes."""
    i, out = 0, []
    while i < len(b):
        k, i = varint(b, i)
        t = k & 7
        if t == 0:
            _, j = varint(b, i)
        elif t == 2:
            n, i = varint(b, i)
            j = i + n
        else:
            j = i + (8 if t == 1 else 4)
        out.append((k, b[i:j]))
        i = j
    return out


def message(fs):
    """The inverse of fields()."""
    out = bytearray()
    for k, v in fs:
        out += enc_varint(k) + (enc_varint(len(v)) if k & 7 == 2 else b"") + v
    return bytes(out)
