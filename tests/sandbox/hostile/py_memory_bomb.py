# Python flavour of the memory bomb.
chunks = []
while True:
    chunks.append(bytearray(16 << 20))
