# Embed a text file into a C source as a NUL-terminated char array: -DIN=file -DOUT=file.c -DNAME=symbol
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," content "${content}")
file(WRITE ${OUT} "/* Generated from ${IN}; do not edit. */\nconst char ${NAME}[] = {${content}0x00};\n")
