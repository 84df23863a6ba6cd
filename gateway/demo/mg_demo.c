/*
 * The demo configuration, embedded in the executable so that `gateway
 * --demo` (and `make run`) need no file.  The JSON itself lives in
 * gateway/demo/meshgate-demo.json.
 */
#include <stddef.h>

#include "gateway/demo/mg_demo.h"

__asm__(".section .rodata\n"
        ".global mg_demo_config\n"
        ".type mg_demo_config, @object\n"
        ".balign 16\n"
        "mg_demo_config:\n"
        ".incbin \"gateway/demo/meshgate-demo.json\"\n"
        "mg_demo_config_end:\n"
        ".global mg_demo_config_len\n"
        ".type mg_demo_config_len, @object\n"
        ".balign 8\n"
        "mg_demo_config_len:\n"
        ".quad mg_demo_config_end - mg_demo_config\n"
        ".previous\n");
