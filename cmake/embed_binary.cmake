# Embed a binary file into a C source as a byte array and its length: -DIN=file -DOUT=file.c -DNAME=symbol
# (an empty IN, or none at all, gives an empty array).
set(content "")
if(IN AND EXISTS ${IN})
  file(READ ${IN} content HEX)
endif()
string(LENGTH "${content}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," content "${content}")
file(WRITE ${OUT} "/* Generated from ${IN}; do not edit. */\n#include <stddef.h>\n"
                  "const unsigned char ${NAME}[] = {${content}0x00};\nconst size_t ${NAME}_len = ${len};\n")
