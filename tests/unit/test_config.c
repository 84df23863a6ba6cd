/*
 * Unit tests for gateway/config/config.c: the `appliance` section, field by field, defaults,
 * cross-field rules, error reporting and file loading.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config/config.h"
#include "gateway/config/schema.h"
#include "cfgtest.h"
#include "mgtest.h"

/* The example from docs/CONFIG.md. */
static const char example[] =
    "{\n"
    "  \"appliance\": {\n"
    "    \"interfaces\": [\n"
    "      { \"name\": \"data0\",\n"
    "        \"device\": \"net_tap0,iface=mgt0\",\n"
    "        \"address\": \"10.99.0.2/24\",\n"
    "        \"gateway\": \"10.99.0.1\",\n"
    "        \"mtu\": 1500 }\n"
    "    ],\n"
    "    \"admin\": { \"interface\": \"data0\", \"port\": 9901 },\n"
    "    \"diagnostics\": { \"echoPort\": 7, \"discardPort\": 9 },\n"
    "    \"dataplane\": { \"mbufs\": 16384, \"rxDescriptors\": 1024, \"txDescriptors\": 1024,"
    " \"burst\": 32 }\n"
    "  }\n"
    "}\n";

#define parse        mg_cfgtest_parse
#define print_errors mg_cfgtest_errors

MG_TEST(config_example_parses_to_the_exact_struct)
{
	struct mg_config cfg = {0}, want;
	struct mg_cfg_errors errs;
	struct mg_cfg_iface *w = &want.appliance.ifaces[0];

	memset(&want, 0, sizeof(want));
	strcpy(w->name, "data0");
	strcpy(w->device, "net_tap0,iface=mgt0");
	w->device_kind = MG_CFG_DEV_VDEV;
	w->addr = 0x0A630002;
	w->netmask = 0xFFFFFF00;
	w->gateway = 0x0A630001;
	w->prefix = 24;
	w->mtu = 1500;
	want.appliance.n_ifaces = 1;
	want.appliance.admin.iface = 0;
	want.appliance.admin.port = 9901;
	strcpy(want.appliance.admin.iface_name, "data0");
	want.appliance.diag.echo_port = 7;
	want.appliance.diag.discard_port = 9;
	want.appliance.dataplane.mbufs = 16384;
	want.appliance.dataplane.rx_desc = 1024;
	want.appliance.dataplane.tx_desc = 1024;
	want.appliance.dataplane.burst = 32;
	want.appliance.dataplane.workers = 1;
	/* appliance.proxy is absent: its defaults. */
	want.appliance.proxy.alpn_http11 = true;
	want.appliance.proxy.alpn_default = true;
	want.appliance.proxy.session_ticket_lifetime_s = 3600;
	want.appliance.proxy.handshake_timeout_ms = 10000;
	want.appliance.proxy.request_header_timeout_ms = 10000;
	want.appliance.proxy.idle_timeout_ms = 300000;
	want.appliance.proxy.connect_timeout_ms = 5000;
	want.appliance.proxy.max_request_header_bytes = 32768;
	want.appliance.proxy.max_conns_per_endpoint = 1024;
	want.appliance.proxy.max_idle_per_endpoint = 64;
	want.appliance.dns.timeout_ms = MG_CFG_DEFAULT_DNS_TIMEOUT_MS;

	MG_ASSERT_EQ_INT(mg_cfgtest_parse(&cfg, example, &errs), 0);
	MG_EXPECT_EQ_UINT(mg_cfg_errors_count(&errs), 0);
	MG_EXPECT_STR(cfg.appliance.ifaces[0].name, "data0");
	MG_EXPECT_EQ_UINT(cfg.appliance.ifaces[0].addr, 0x0A630002);
	MG_EXPECT_MEM(&cfg, &want, sizeof(cfg));
	MG_EXPECT_STR(mg_cfg_iface_name(&cfg, 0), "data0");
	MG_EXPECT_STR(mg_cfg_iface_name(&cfg, 1), "");
	MG_EXPECT_STR(mg_cfg_iface_name(&cfg, -1), "");
	mg_cfg_errors_free(&errs);
}

MG_TEST(config_defaults)
{
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	const struct mg_cfg_appliance *ap = &cfg.appliance;

	MG_ASSERT_EQ_INT(
	    mg_cfgtest_parse(&cfg,
	                     "{\"appliance\":{\"interfaces\":[{\"name\":\"a\",\"address\":"
	                     "\"192.168.1.10/16\"},{\"name\":\"b\",\"address\":\"172.16.0.1/30\"}],"
	                     "\"admin\":{\"interface\":\"b\",\"port\":80}}}",
	                     &errs),
	    0);
	MG_EXPECT_EQ_INT(ap->n_ifaces, 2);
	MG_EXPECT_STR(ap->ifaces[0].device, "");
	MG_EXPECT_EQ_INT(ap->ifaces[0].device_kind, MG_CFG_DEV_NONE);
	MG_EXPECT_EQ_UINT(ap->ifaces[0].addr, 0xC0A8010A);
	MG_EXPECT_EQ_UINT(ap->ifaces[0].netmask, 0xFFFF0000);
	MG_EXPECT_EQ_UINT(ap->ifaces[0].prefix, 16);
	MG_EXPECT_EQ_UINT(ap->ifaces[0].gateway, 0);
	MG_EXPECT_EQ_UINT(ap->ifaces[0].mtu, MG_CFG_DEFAULT_MTU);
	MG_EXPECT_EQ_UINT(ap->ifaces[1].netmask, 0xFFFFFFFC);
	MG_EXPECT_EQ_INT(ap->admin.iface, 1);
	MG_EXPECT_EQ_UINT(ap->admin.port, 80);
	MG_EXPECT_EQ_UINT(ap->diag.echo_port, 0);
	MG_EXPECT_EQ_UINT(ap->diag.discard_port, 0);
	MG_EXPECT_EQ_UINT(ap->dataplane.mbufs, MG_CFG_DEFAULT_MBUFS);
	MG_EXPECT_EQ_UINT(ap->dataplane.rx_desc, MG_CFG_DEFAULT_RX_DESC);
	MG_EXPECT_EQ_UINT(ap->dataplane.tx_desc, MG_CFG_DEFAULT_TX_DESC);
	MG_EXPECT_EQ_UINT(ap->dataplane.burst, MG_CFG_DEFAULT_BURST);
	MG_EXPECT_EQ_UINT(MG_CFG_DEFAULT_MBUFS, 16384);
	MG_EXPECT_EQ_UINT(MG_CFG_DEFAULT_RX_DESC, 1024);
	MG_EXPECT_EQ_UINT(MG_CFG_DEFAULT_BURST, 32);

	/* Empty optional objects get their defaults too. */
	MG_ASSERT_EQ_INT(
	    mg_cfgtest_parse(&cfg,
	                     "{\"appliance\":{\"interfaces\":[{\"name\":\"a\",\"address\":"
	                     "\"10.0.0.1/8\"}],\"admin\":{\"interface\":\"a\",\"port\":1},"
	                     "\"diagnostics\":{},\"dataplane\":{\"burst\":64}}}",
	                     &errs),
	    0);
	MG_EXPECT_EQ_UINT(ap->dataplane.mbufs, MG_CFG_DEFAULT_MBUFS);
	MG_EXPECT_EQ_UINT(ap->dataplane.burst, 64);
	MG_EXPECT_EQ_UINT(ap->diag.echo_port, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Field by field.                                                                            */

/* An appliance with interface data0 and an admin on it; IF1() adds data1 with more members. */
#define A0                "{\"name\":\"data0\",\"address\":\"10.99.0.2/24\"}"
#define ADMIN             ",\"admin\":{\"interface\":\"data0\",\"port\":9901}"
#define APP(ifaces, rest) "{\"appliance\":{\"interfaces\":[" ifaces "]" rest "}}"
#define IF1(extra)        ",{\"name\":\"data1\",\"address\":\"10.1.0.2/24\"" extra "}"
#define IF1_ADDR(addr)    ",{\"name\":\"data1\",\"address\":" addr "}"
#define IF1_NAME(name)    ",{\"name\":" name ",\"address\":\"10.1.0.2/24\"}"
#define IF1_DEV(dev)      IF1(",\"device\":" dev)
#define IF1_GW(gw)        IF1(",\"gateway\":" gw)
#define IF1_MTU(mtu)      IF1(",\"mtu\":" mtu)
#define WITH(section)     APP(A0, ADMIN ",\"" section)
#define DIAG(body)        WITH("diagnostics\":{" body)
#define DP(body)          WITH("dataplane\":{" body)

struct cfg_err {
	const char *text;
	const char *path;
	const char *msg;
};

static const struct cfg_err cfg_errors[] = {
    /* The top level. */
    {"{}", "(root)", "missing required field 'appliance'"},
    {"{\"appliance\":[]}", "appliance", "expected an object, got array"},
    {APP(A0, ADMIN) ",", "(root)", "unexpected data after the top-level object"},
    {"{\"meshes\":{},\"appliance\":{\"interfaces\":[" A0 "]" ADMIN "}}", "meshes",
     "unknown field 'meshes' (did you mean 'mesh'?)"},
    {"{\"appliance\":{\"interfaces\":[" A0 "]" ADMIN ",\"interface\":[]}}", "appliance.interface",
     "unknown field 'interface' (did you mean 'interfaces'?)"},
    /* interfaces */
    {"{\"appliance\":{\"admin\":{\"interface\":\"data0\",\"port\":1}}}", "appliance",
     "missing required field 'interfaces'"},
    {APP("", ",\"admin\":{\"interface\":\"data0\",\"port\":1}"), "appliance.interfaces",
     "must not be empty"},
    {"{\"appliance\":{\"interfaces\":{}" ADMIN "}}", "appliance.interfaces",
     "expected an array, got object"},
    {APP(A0 ",[]", ADMIN), "appliance.interfaces[1]", "expected an object, got array"},
    {APP(A0 IF1(",\"vlan\":5"), ADMIN), "appliance.interfaces[1].vlan",
     "unknown field 'vlan' (expected 'name', 'device', 'address', 'gateway' or 'mtu')"},
    /* interfaces[].name */
    {APP(A0 ",{\"address\":\"10.1.0.2/24\"}", ADMIN), "appliance.interfaces[1]",
     "missing required field 'name'"},
    {APP(A0 IF1_NAME("\"\""), ADMIN), "appliance.interfaces[1].name", "must not be empty"},
    {APP(A0 IF1_NAME("\"abcdefghijklmnop\""), ADMIN), "appliance.interfaces[1].name",
     "is too long (16 bytes, at most 15)"},
    {APP(A0 IF1_NAME("\"Data1\""), ADMIN), "appliance.interfaces[1].name",
     "'Data1' is not a valid interface name"},
    {APP(A0 IF1_NAME("\"data 1\""), ADMIN), "appliance.interfaces[1].name",
     "is not a valid interface name"},
    {APP(A0 IF1_NAME("\"data.1\""), ADMIN), "appliance.interfaces[1].name",
     "is not a valid interface name"},
    {APP(A0 IF1_NAME("\"d\\u00e9\""), ADMIN), "appliance.interfaces[1].name",
     "is not a valid interface name"},
    {APP(A0 IF1_NAME("1"), ADMIN), "appliance.interfaces[1].name", "expected a string, got number"},
    {APP(A0 IF1_NAME("\"data0\""), ADMIN), "appliance.interfaces[1].name",
     "interface name 'data0' is already used by interfaces[0]"},
    /* interfaces[].device */
    {APP(A0 IF1_DEV("\"\""), ADMIN), "appliance.interfaces[1].device", "must not be empty"},
    {APP(A0 IF1_DEV("\"tap0\""), ADMIN), "appliance.interfaces[1].device",
     "expected a DPDK virtual device"},
    {APP(A0 IF1_DEV("\"net_tap\""), ADMIN), "appliance.interfaces[1].device",
     "ends with its instance number"},
    {APP(A0 IF1_DEV("\"net_Tap0\""), ADMIN), "appliance.interfaces[1].device",
     "driver name in lower case"},
    {APP(A0 IF1_DEV("\"net_0\""), ADMIN), "appliance.interfaces[1].device",
     "driver name in lower case"},
    {APP(A0 IF1_DEV("\"net_\""), ADMIN), "appliance.interfaces[1].device",
     "driver name in lower case"},
    {APP(A0 IF1_DEV("\"net_tap0,\""), ADMIN), "appliance.interfaces[1].device",
     "empty or invalid argument name"},
    {APP(A0 IF1_DEV("\"net_tap0,iface\""), ADMIN), "appliance.interfaces[1].device",
     "argument 'iface' needs a value"},
    {APP(A0 IF1_DEV("\"net_tap0,iface=\""), ADMIN), "appliance.interfaces[1].device",
     "argument 'iface' has an empty or unbalanced value"},
    {APP(A0 IF1_DEV("\"net_tap0,=x\""), ADMIN), "appliance.interfaces[1].device",
     "empty or invalid argument name"},
    {APP(A0 IF1_DEV("\"net_tap0,iface=a b\""), ADMIN), "appliance.interfaces[1].device",
     "has a space or unprintable character"},
    {APP(A0 IF1_DEV("\"net_tap0,q=[1,2\""), ADMIN), "appliance.interfaces[1].device", "unbalanced"},
    {APP(A0 IF1_DEV("\"net_tap0,q=1]\""), ADMIN), "appliance.interfaces[1].device", "unbalanced"},
    {APP(A0 IF1_DEV("\"net_tap0 \""), ADMIN), "appliance.interfaces[1].device",
     "unexpected ' ' after the device name"},
    {APP(A0 IF1_DEV("\"0000:00:04.8\""), ADMIN), "appliance.interfaces[1].device",
     "PCI function 8 is out of range 0..7"},
    {APP(A0 IF1_DEV("\"0000:00:20.0\""), ADMIN), "appliance.interfaces[1].device",
     "PCI device number 20 is out of range 00..1f"},
    {APP(A0 IF1_DEV("\"0000:0:04.0\""), ADMIN), "appliance.interfaces[1].device",
     "a PCI address has the form DDDD:BB:DD.F"},
    {APP(A0 IF1_DEV("\"0000:00:04\""), ADMIN), "appliance.interfaces[1].device",
     "a PCI address has the form"},
    {APP(A0 IF1_DEV("\"0000:00:04.0x\""), ADMIN), "appliance.interfaces[1].device",
     "unexpected 'x' after the device name"},
    {APP(A0 IF1_DEV("\"0000:g0:04.0\""), ADMIN), "appliance.interfaces[1].device",
     "a PCI address has the form"},
    {APP(A0 IF1_DEV("7"), ADMIN), "appliance.interfaces[1].device",
     "expected a string, got number"},
    {APP("{\"name\":\"data0\",\"address\":\"10.99.0.2/"
         "24\",\"device\":\"net_tap0,iface=a\"}" IF1_DEV("\"net_tap0,iface=b\""),
         ADMIN),
     "appliance.interfaces[1].device", "device 'net_tap0' is already used by interface 'data0'"},
    /* interfaces[].address */
    {APP(A0 ",{\"name\":\"data1\"}", ADMIN), "appliance.interfaces[1]",
     "missing required field 'address'"},
    {APP(A0 IF1_ADDR("10"), ADMIN), "appliance.interfaces[1].address",
     "expected a string like \"10.0.0.2/24\", got number"},
    {APP(A0 IF1_ADDR("\"10.1.0.2\""), ADMIN), "appliance.interfaces[1].address",
     "'10.1.0.2' has no prefix length"},
    {APP(A0 IF1_ADDR("\"10.1.0.2/0\""), ADMIN), "appliance.interfaces[1].address",
     "prefix length /0 is out of range 1..32"},
    {APP(A0 IF1_ADDR("\"10.1.0.2/33\""), ADMIN), "appliance.interfaces[1].address",
     "prefix length /33 is out of range 1..32"},
    {APP(A0 IF1_ADDR("\"10.1.0.2/024\""), ADMIN), "appliance.interfaces[1].address",
     "has an invalid prefix length"},
    {APP(A0 IF1_ADDR("\"10.1.0.2/\""), ADMIN), "appliance.interfaces[1].address",
     "has an invalid prefix length"},
    {APP(A0 IF1_ADDR("\"10.1.0.2/24x\""), ADMIN), "appliance.interfaces[1].address",
     "has an invalid prefix length"},
    {APP(A0 IF1_ADDR("\"10.1.0.2/1000\""), ADMIN), "appliance.interfaces[1].address",
     "has an invalid prefix length"},
    {APP(A0 IF1_ADDR("\"10.1.0.256/24\""), ADMIN), "appliance.interfaces[1].address",
     "is not an IPv4 address"},
    {APP(A0 IF1_ADDR("\"10.1.0/24\""), ADMIN), "appliance.interfaces[1].address",
     "is not an IPv4 address"},
    {APP(A0 IF1_ADDR("\"10.01.0.2/24\""), ADMIN), "appliance.interfaces[1].address",
     "is not an IPv4 address"},
    {APP(A0 IF1_ADDR("\" 10.1.0.2/24\""), ADMIN), "appliance.interfaces[1].address",
     "is not an IPv4 address"},
    {APP(A0 IF1_ADDR("\"10.1.0.2.5/24\""), ADMIN), "appliance.interfaces[1].address",
     "is not an IPv4 address"},
    {APP(A0 IF1_ADDR("\"::1/128\""), ADMIN), "appliance.interfaces[1].address",
     "is not an IPv4 address"},
    {APP(A0 IF1_ADDR("\"10.1.0.2/24/1\""), ADMIN), "appliance.interfaces[1].address",
     "has an invalid prefix length"},
    {APP(A0 IF1_ADDR("\"10.1.0.2\\u0000/24\""), ADMIN), "appliance.interfaces[1].address",
     "is not an IPv4 address"},
    {APP(A0 IF1_ADDR("\"100.100.100.100/24 and a long tail\""), ADMIN),
     "appliance.interfaces[1].address", "is not an IPv4 address"},
    {APP(A0 IF1_ADDR("\"10.1.0.0/24\""), ADMIN), "appliance.interfaces[1].address",
     "10.1.0.0/24 is the network address of its subnet"},
    {APP(A0 IF1_ADDR("\"10.1.0.255/24\""), ADMIN), "appliance.interfaces[1].address",
     "10.1.0.255/24 is the broadcast address of its subnet"},
    {APP(A0 IF1_ADDR("\"10.1.0.4/30\""), ADMIN), "appliance.interfaces[1].address",
     "network address"},
    {APP(A0 IF1_ADDR("\"127.0.0.1/8\""), ADMIN), "appliance.interfaces[1].address",
     "address 127.0.0.1 is a loopback address"},
    {APP(A0 IF1_ADDR("\"0.1.2.3/8\""), ADMIN), "appliance.interfaces[1].address",
     "is in 0.0.0.0/8"},
    {APP(A0 IF1_ADDR("\"224.0.0.1/24\""), ADMIN), "appliance.interfaces[1].address",
     "is a multicast address"},
    {APP(A0 IF1_ADDR("\"255.255.255.255/32\""), ADMIN), "appliance.interfaces[1].address",
     "is a reserved or broadcast address"},
    /* interfaces[].gateway */
    {APP(A0 IF1_GW("\"10.2.0.1\""), ADMIN), "appliance.interfaces[1].gateway",
     "gateway 10.2.0.1 is outside the interface's subnet 10.1.0.0/24"},
    {APP(A0 IF1_GW("\"10.1.0.2\""), ADMIN), "appliance.interfaces[1].gateway",
     "gateway 10.1.0.2 is the interface's own address"},
    {APP(A0 IF1_GW("\"10.1.0.0\""), ADMIN), "appliance.interfaces[1].gateway",
     "gateway 10.1.0.0 is the network address of the subnet"},
    {APP(A0 IF1_GW("\"10.1.0.255\""), ADMIN), "appliance.interfaces[1].gateway",
     "gateway 10.1.0.255 is the broadcast address of the subnet"},
    {APP(A0 IF1_GW("\"10.1.0.1/24\""), ADMIN), "appliance.interfaces[1].gateway",
     "'10.1.0.1/24' is not an IPv4 address like 10.0.0.1"},
    {APP(A0 IF1_GW("\"x\""), ADMIN), "appliance.interfaces[1].gateway", "is not an IPv4 address"},
    {APP(A0 IF1_GW("\"\""), ADMIN), "appliance.interfaces[1].gateway", "is not an IPv4 address"},
    {APP(A0 IF1_GW("true"), ADMIN), "appliance.interfaces[1].gateway",
     "expected a string like \"10.0.0.1\", got boolean"},
    {APP(A0 IF1_GW("\"127.0.0.1\""), ADMIN), "appliance.interfaces[1].gateway",
     "gateway 127.0.0.1 is a loopback address"},
    /* interfaces[].mtu */
    {APP(A0 IF1_MTU("575"), ADMIN), "appliance.interfaces[1].mtu", "575 is out of range 576..9000"},
    {APP(A0 IF1_MTU("9001"), ADMIN), "appliance.interfaces[1].mtu",
     "9001 is out of range 576..9000"},
    {APP(A0 IF1_MTU("-1500"), ADMIN), "appliance.interfaces[1].mtu", "out of range"},
    {APP(A0 IF1_MTU("\"1500\""), ADMIN), "appliance.interfaces[1].mtu",
     "expected an integer, got string"},
    {APP(A0 IF1_MTU("1500.5"), ADMIN), "appliance.interfaces[1].mtu",
     "expected an integer, got 1500.5"},
    {APP(A0 IF1_MTU("1.5e3"), ADMIN), "appliance.interfaces[1].mtu",
     "expected an integer, got 1.5e3"},
    {APP(A0 IF1_MTU("null"), ADMIN), "appliance.interfaces[1].mtu",
     "expected an integer, got null"},
    {APP(A0 IF1_MTU("99999999999999999999"), ADMIN), "appliance.interfaces[1].mtu",
     "99999999999999999999 is out of range 576..9000"},
    /* admin */
    {APP(A0, ""), "appliance", "missing required field 'admin'"},
    {APP(A0, ",\"admin\":{\"port\":1}"), "appliance.admin", "missing required field 'interface'"},
    {APP(A0, ",\"admin\":{\"interface\":\"data0\"}"), "appliance.admin",
     "missing required field 'port'"},
    {APP(A0, ",\"admin\":{\"interface\":\"data9\",\"port\":1}"), "appliance.admin.interface",
     "'data9' is not one of the interfaces ('data0')"},
    {APP(A0 IF1(""), ",\"admin\":{\"interface\":\"DATA0\",\"port\":1}"),
     "appliance.admin.interface", "'DATA0' is not one of the interfaces ('data0', 'data1')"},
    {APP(A0, ",\"admin\":{\"interface\":\"\",\"port\":1}"), "appliance.admin.interface",
     "must not be empty"},
    {APP(A0, ",\"admin\":{\"interface\":0,\"port\":1}"), "appliance.admin.interface",
     "expected a string, got number"},
    {APP(A0, ",\"admin\":{\"interface\":\"data0\",\"port\":0}"), "appliance.admin.port",
     "0 is out of range 1..65535"},
    {APP(A0, ",\"admin\":{\"interface\":\"data0\",\"port\":65536}"), "appliance.admin.port",
     "65536 is out of range 1..65535"},
    {APP(A0, ",\"admin\":{\"interface\":\"data0\",\"port\":\"9901\"}"), "appliance.admin.port",
     "expected an integer, got string"},
    {APP(A0, ",\"admin\":{\"interface\":\"data0\",\"port\":1,\"tls\":true}"), "appliance.admin.tls",
     "unknown field 'tls'"},
    {APP(A0, ",\"admin\":[]"), "appliance.admin", "expected an object, got array"},
    /* diagnostics */
    {DIAG("\"echoPort\":0}"), "appliance.diagnostics.echoPort", "0 is out of range 1..65535"},
    {DIAG("\"echoPort\":65536}"), "appliance.diagnostics.echoPort", "out of range 1..65535"},
    {DIAG("\"discardPort\":0}"), "appliance.diagnostics.discardPort", "out of range"},
    {DIAG("\"discardPort\":true}"), "appliance.diagnostics.discardPort",
     "expected an integer, got boolean"},
    {DIAG("\"echoPort\":9901}"), "appliance.diagnostics.echoPort",
     "port 9901 is already used by the admin listener"},
    {DIAG("\"discardPort\":9901}"), "appliance.diagnostics.discardPort",
     "port 9901 is already used by the admin listener"},
    {DIAG("\"echoPort\":7,\"discardPort\":7}"), "appliance.diagnostics.discardPort",
     "port 7 is already used by echoPort"},
    {DIAG("\"chargenPort\":19}"), "appliance.diagnostics.chargenPort",
     "unknown field 'chargenPort' (expected 'echoPort' or 'discardPort')"},
    {DIAG("\"echoport\":7}"), "appliance.diagnostics.echoport",
     "unknown field 'echoport' (did you mean 'echoPort'?)"},
    {WITH("diagnostics\":7"), "appliance.diagnostics", "expected an object, got number"},
    /* dataplane */
    {DP("\"mbufs\":1023}"), "appliance.dataplane.mbufs", "1023 is out of range 1024..1048576"},
    {DP("\"mbufs\":1048577}"), "appliance.dataplane.mbufs", "out of range 1024..1048576"},
    {DP("\"rxDescriptors\":32}"), "appliance.dataplane.rxDescriptors",
     "32 is out of range 64..4096"},
    {DP("\"rxDescriptors\":8192}"), "appliance.dataplane.rxDescriptors",
     "8192 is out of range 64..4096"},
    {DP("\"rxDescriptors\":1000}"), "appliance.dataplane.rxDescriptors",
     "1000 is not a power of two"},
    {DP("\"txDescriptors\":63}"), "appliance.dataplane.txDescriptors",
     "63 is out of range 64..4096"},
    {DP("\"txDescriptors\":96}"), "appliance.dataplane.txDescriptors", "96 is not a power of two"},
    {DP("\"txDescriptors\":8192}"), "appliance.dataplane.txDescriptors", "out of range"},
    {DP("\"burst\":0}"), "appliance.dataplane.burst", "0 is out of range 1..64"},
    {DP("\"burst\":65}"), "appliance.dataplane.burst", "65 is out of range 1..64"},
    {DP("\"burst\":\"32\"}"), "appliance.dataplane.burst", "expected an integer, got string"},
    {DP("\"rxDesc\":1024}"), "appliance.dataplane.rxDesc",
     "unknown field 'rxDesc' (expected 'mbufs', 'rxDescriptors', 'txDescriptors', 'burst' or "
     "'workers')"},
    {DP("\"workers\":0}"), "appliance.dataplane.workers", "0 is out of range 1..16"},
    {DP("\"workers\":17}"), "appliance.dataplane.workers", "17 is out of range 1..16"},
};

MG_TEST(config_each_field_error)
{
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	char out[8192];
	size_t i;

	for (i = 0; i < sizeof(cfg_errors) / sizeof(cfg_errors[0]); i++) {
		const struct cfg_err *c = &cfg_errors[i];

		MG_CASE("#%zu %s", i, c->text);
		MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, c->text, &errs), -EINVAL);
		if (MG_EXPECT_EQ_INT(errs.list.count, 1)) {
			MG_EXPECT_STR(errs.list.list[0].path, c->path);
			MG_EXPECT_CONTAINS(errs.list.list[0].msg, c->msg);
		} else {
			printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
		}
		mg_cfg_errors_free(&errs);
	}
}

/* Values at the edges of what is allowed, with the value each must store. */
static const struct {
	const char *text;
	const char *what;
	unsigned long long want;
} cfg_accepts[] = {
    {APP(A0 IF1_MTU("576"), ADMIN), "mtu", 576},
    {APP(A0 IF1_MTU("9000"), ADMIN), "mtu", 9000},
    {APP(A0 IF1_ADDR("\"10.1.0.0/31\""), ADMIN), "addr", 0x0A010000},
    {APP(A0 IF1_ADDR("\"10.1.0.1/31\""), ADMIN), "netmask", 0xFFFFFFFE},
    {APP(A0 IF1_ADDR("\"10.1.0.255/32\""), ADMIN), "prefix", 32},
    {APP(A0 IF1_ADDR("\"10.1.0.0/8\""), ADMIN), "netmask", 0xFF000000},
    {APP(A0 IF1_ADDR("\"128.0.0.1/1\""), ADMIN), "netmask", 0x80000000},
    {APP(A0 IF1_ADDR("\"223.255.255.254/24\""), ADMIN), "addr", 0xDFFFFFFE},
    {APP(A0 IF1_ADDR("\"1.2.3.4/32\""), ADMIN), "netmask", 0xFFFFFFFF},
    {APP(A0 IF1_ADDR("\"\\u0031\\u0030.1.0.2/24\""), ADMIN), "addr", 0x0A010002},
    {APP(A0 IF1_GW("\"10.1.0.254\""), ADMIN), "gateway", 0x0A0100FE},
    {APP(A0 ",{\"name\":\"d1\",\"address\":\"10.1.0.0/31\",\"gateway\":\"10.1.0.1\"}", ADMIN),
     "gateway", 0x0A010001},
    {APP(A0 IF1_NAME("\"abcdefghijklmno\""), ADMIN), "name_len", 15},
    {APP(A0 IF1_NAME("\"a_b-9\""), ADMIN), "name_len", 5},
    {APP(A0 IF1_DEV("\"net_tap0\""), ADMIN), "device_kind", MG_CFG_DEV_VDEV},
    {APP(A0 IF1_DEV("\"net_af_packet0,iface=eth0,qpairs=2\""), ADMIN), "device_kind",
     MG_CFG_DEV_VDEV},
    {APP(A0 IF1_DEV("\"net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap\""), ADMIN),
     "device_kind", MG_CFG_DEV_VDEV},
    {APP(A0 IF1_DEV("\"net_memif12,role=server,socket=/run/memif.sock\""), ADMIN), "device_kind",
     MG_CFG_DEV_VDEV},
    {APP(A0 IF1_DEV("\"net_ring0,nodeaction=r1:0:CREATE,q=[0,1]\""), ADMIN), "device_kind",
     MG_CFG_DEV_VDEV},
    {APP(A0 IF1_DEV("\"0000:00:04.0\""), ADMIN), "device_kind", MG_CFG_DEV_PCI},
    {APP(A0 IF1_DEV("\"0000:AF:1f.7\""), ADMIN), "device_kind", MG_CFG_DEV_PCI},
    {APP(A0 IF1_DEV("\"0000:00:04.0,rx_vec_en=0\""), ADMIN), "device_kind", MG_CFG_DEV_PCI},
    {DIAG("\"echoPort\":1,\"discardPort\":65535}"), "echo", 1},
    {DIAG("\"echoPort\":1,\"discardPort\":65535}"), "discard", 65535},
    {DIAG("\"echoPort\":9902}"), "discard", 0},
    {DP("\"mbufs\":1024}"), "mbufs", 1024},
    {DP("\"mbufs\":1048576}"), "mbufs", 1048576},
    {DP("\"rxDescriptors\":64}"), "rx", 64},
    {DP("\"rxDescriptors\":4096}"), "rx", 4096},
    {DP("\"txDescriptors\":2048}"), "tx", 2048},
    {DP("\"burst\":1}"), "burst", 1},
    {DP("\"burst\":64}"), "burst", 64},
    {APP(A0 IF1(""), ",\"admin\":{\"interface\":\"data1\",\"port\":65535}"), "admin", 1},
};

static unsigned long long
field_value(const struct mg_config *cfg, const char *what)
{
	const struct mg_cfg_appliance *ap = &cfg->appliance;
	const struct mg_cfg_iface *i1 = &ap->ifaces[ap->n_ifaces > 1 ? 1 : 0];

	if (strcmp(what, "mtu") == 0)
		return i1->mtu;
	if (strcmp(what, "addr") == 0)
		return i1->addr;
	if (strcmp(what, "netmask") == 0)
		return i1->netmask;
	if (strcmp(what, "prefix") == 0)
		return i1->prefix;
	if (strcmp(what, "gateway") == 0)
		return i1->gateway;
	if (strcmp(what, "name_len") == 0)
		return strlen(i1->name);
	if (strcmp(what, "device_kind") == 0)
		return i1->device_kind;
	if (strcmp(what, "echo") == 0)
		return ap->diag.echo_port;
	if (strcmp(what, "discard") == 0)
		return ap->diag.discard_port;
	if (strcmp(what, "mbufs") == 0)
		return ap->dataplane.mbufs;
	if (strcmp(what, "rx") == 0)
		return ap->dataplane.rx_desc;
	if (strcmp(what, "tx") == 0)
		return ap->dataplane.tx_desc;
	if (strcmp(what, "burst") == 0)
		return ap->dataplane.burst;
	if (strcmp(what, "admin") == 0)
		return (unsigned long long)ap->admin.iface;
	return ~0ull;
}

MG_TEST(config_accepts_edge_values)
{
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	char out[4096];
	size_t i;

	for (i = 0; i < sizeof(cfg_accepts) / sizeof(cfg_accepts[0]); i++) {
		MG_CASE("#%zu %s", i, cfg_accepts[i].text);
		if (!MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, cfg_accepts[i].text, &errs), 0)) {
			printf("%s", mg_cfgtest_errors(&errs, out, sizeof(out)));
			continue;
		}
		MG_EXPECT_EQ_UINT(field_value(&cfg, cfg_accepts[i].what), cfg_accepts[i].want);
	}
}

MG_TEST(config_eight_interfaces_and_no_more)
{
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	char text[4096];
	size_t len;
	int i, n;

	for (n = 8; n <= 9; n++) {
		len = (size_t)sprintf(text, "{\"appliance\":{\"interfaces\":[");
		for (i = 0; i < n; i++)
			len += (size_t)sprintf(text + len,
			                       "%s{\"name\":\"if%d\",\"address\":\"10.%d.0.1/16\","
			                       "\"device\":\"net_null%d\"}",
			                       i > 0 ? "," : "", i, i, i);
		sprintf(text + len, "],\"admin\":{\"interface\":\"if7\",\"port\":1}}}");
		MG_CASE("%d interfaces", n);
		if (n == 8) {
			MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), 0);
			MG_EXPECT_EQ_INT(cfg.appliance.n_ifaces, 8);
			MG_EXPECT_EQ_INT(cfg.appliance.admin.iface, 7);
			MG_EXPECT_STR(cfg.appliance.ifaces[7].device, "net_null7");
		} else {
			MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), -EINVAL);
			MG_EXPECT_EQ_INT(errs.list.count, 1);
			MG_EXPECT_STR(errs.list.list[0].path, "appliance.interfaces");
			MG_EXPECT_CONTAINS(errs.list.list[0].msg,
			                   "has 9 elements, at most 8 allowed");
			/* Only the first 8 were stored. */
			MG_EXPECT_EQ_INT(cfg.appliance.n_ifaces, 8);
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Error reporting as a whole.                                                                */

MG_TEST(config_reports_all_errors_at_once)
{
	static const char text[] =
	    "{\n"
	    "  \"appliance\": {\n"
	    "    \"interfaces\": [\n"
	    "      { \"name\": \"data0\", \"address\": \"10.99.0.2/24\", \"mtu\": 01 },\n"
	    "      { \"name\": \"data1\", \"address\": \"10.99.1.0/24\", \"gateway\": \"10.9.0.1\" "
	    "},\n"
	    "      { \"name\": \"data1\", \"adress\": \"10.99.2.2/24\", \"mtu\": 100000 }\n"
	    "    ],\n"
	    "    \"admin\": { \"interface\": \"mgmt\", \"port\": 70000 },\n"
	    "    \"diagnostics\": { \"echoPort\": 7, \"discardPort\": 7 },\n"
	    "    \"dataplane\": { \"rxDescriptors\": 1000, \"burst\": 32, \"burst\": 16 }\n"
	    "  },\n"
	    "  \"mesh\": { }\n"
	    "}\n";
	static const char want[] =
	    "c.json:4:60: appliance.interfaces[0].mtu: invalid number '01': leading zeros are not "
	    "allowed\n"
	    "c.json:5:37: appliance.interfaces[1].address: 10.99.1.0/24 is the network address of "
	    "its subnet, not a host address\n"
	    "c.json:6:7: appliance.interfaces[2]: missing required field 'address'\n"
	    "c.json:6:17: appliance.interfaces[2].name: interface name 'data1' is already used by "
	    "interfaces[1]\n"
	    "c.json:6:26: appliance.interfaces[2].adress: unknown field 'adress' (did you mean "
	    "'address'?)\n"
	    "c.json:6:59: appliance.interfaces[2].mtu: 100000 is out of range 576..9000\n"
	    "c.json:8:29: appliance.admin.interface: 'mgmt' is not one of the interfaces "
	    "('data0', 'data1', 'data1')\n"
	    "c.json:8:45: appliance.admin.port: 70000 is out of range 1..65535\n"
	    "c.json:9:52: appliance.diagnostics.discardPort: port 7 is already used by echoPort\n"
	    "c.json:10:37: appliance.dataplane.rxDescriptors: 1000 is not a power of two\n"
	    "c.json:10:56: appliance.dataplane.burst: duplicate key 'burst' (first defined at "
	    "line 10, column 43)\n"
	    "c.json:12:11: mesh: missing required field 'meshName'\n"
	    "c.json:12:11: mesh: missing required field 'spec'\n";
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	char out[8192];

	MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, text, &errs), -EINVAL);
	MG_EXPECT_EQ_UINT(mg_cfg_errors_count(&errs), 13);
	MG_EXPECT_STR(mg_cfgtest_errors(&errs, out, sizeof(out)), want);
	/* The first "burst" wins; the duplicate is not applied. */
	MG_EXPECT_EQ_UINT(cfg.appliance.dataplane.burst, 32);
	MG_EXPECT_EQ_INT(cfg.appliance.admin.iface, -1);
	mg_cfg_errors_free(&errs);
	MG_EXPECT_EQ_UINT(mg_cfg_errors_count(&errs), 0);
}

MG_TEST(config_syntax_error_is_reported_alone)
{
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	char out[1024];

	MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, "{\"appliance\": {\"interfaces\": [", &errs),
	                 -EINVAL);
	MG_EXPECT_STR(mg_cfgtest_errors(&errs, out, sizeof(out)),
	              "c.json:1:31: appliance.interfaces: unexpected end of input: '[' opened at "
	              "line 1, column 30 is not closed\n");

	MG_EXPECT_EQ_INT(mg_config_parse(&cfg, "{\"appliance\" {}}", 16, NULL, &errs), -EINVAL);
	MG_EXPECT_STR(mg_cfgtest_errors(&errs, out, sizeof(out)),
	              "<input>:1:14: appliance: expected ':' after the key, got '{'\n");
}

MG_TEST(config_dangling_admin_with_broken_interfaces)
{
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;

	/* Every interface fails; the admin check must neither crash nor list empty names. */
	MG_EXPECT_EQ_INT(
	    mg_cfgtest_parse(&cfg, APP("{\"name\":\"BAD\",\"address\":1}", ADMIN), &errs), -EINVAL);
	MG_EXPECT_EQ_INT(errs.list.count, 3);
	MG_EXPECT_CONTAINS(errs.list.list[2].msg, "'data0' is not one of the interfaces ()");
	MG_EXPECT_EQ_INT(cfg.appliance.admin.iface, -1);

	/* A missing admin interface name is reported once, not also as dangling. */
	MG_EXPECT_EQ_INT(mg_cfgtest_parse(&cfg, APP(A0, ",\"admin\":{\"port\":5}"), &errs),
	                 -EINVAL);
	MG_EXPECT_EQ_INT(errs.list.count, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Files.                                                                                     */

/* Writes <len> bytes of <data> to a new temporary file and returns its path in <path>. */
static int
write_tmp(char *path, size_t size, const void *data, size_t len)
{
	int fd;

	snprintf(path, size, "/tmp/mg_config_test_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (len > 0 && write(fd, data, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

MG_TEST(config_load_file)
{
	struct mg_config cfg = {0}, ref = {0};
	struct mg_cfg_errors errs;
	char path[64], out[1024], want[256];

	MG_ASSERT(write_tmp(path, sizeof(path), example, sizeof(example) - 1) == 0);
	MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, path, &errs), 0);
	MG_EXPECT_EQ_INT(mg_cfgtest_parse(&ref, example, &errs), 0);
	MG_EXPECT_MEM(&cfg, &ref, sizeof(cfg));
	unlink(path);

	/* Errors name the file. */
	MG_ASSERT(write_tmp(path, sizeof(path), "{\n}", 3) == 0);
	MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, path, &errs), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:1: (root): missing required field 'appliance'\n", path);
	MG_EXPECT_STR(mg_cfgtest_errors(&errs, out, sizeof(out)), want);
	unlink(path);

	/* An empty file. */
	MG_ASSERT(write_tmp(path, sizeof(path), "", 0) == 0);
	MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, path, &errs), -EINVAL);
	MG_EXPECT_CONTAINS(errs.list.list[0].msg, "empty document");
	unlink(path);

	MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, "/nonexistent/meshgate.json", &errs), -ENOENT);
	MG_EXPECT_STR(mg_cfgtest_errors(&errs, out, sizeof(out)),
	              "/nonexistent/meshgate.json: cannot open: No such file or directory\n");

	MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, "/", &errs), -EISDIR);
	MG_EXPECT_STR(mg_cfgtest_errors(&errs, out, sizeof(out)),
	              "/: cannot read: Is a directory\n");
	mg_cfg_errors_free(&errs);
	mg_config_free(&cfg);
	mg_config_free(&ref);
}

MG_TEST(config_load_file_size_cap)
{
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	char path[64];
	size_t n = MG_CFG_MAX_FILE_SIZE + 1;
	char *big = malloc(n);

	MG_ASSERT(big != NULL);
	/* A valid document padded with spaces to one byte over the cap. */
	memset(big, ' ', n);
	memcpy(big, example, sizeof(example) - 1);
	MG_ASSERT(write_tmp(path, sizeof(path), big, n) == 0);
	MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, path, &errs), -EFBIG);
	MG_EXPECT_CONTAINS(errs.list.list[0].msg, "file is larger than 16 MiB");
	unlink(path);

	/* Exactly at the cap it loads. */
	MG_ASSERT(write_tmp(path, sizeof(path), big, n - 1) == 0);
	MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, path, &errs), 0);
	unlink(path);
	free(big);

	/* A pipe-like file of unknown size is read to its end too. */
	MG_EXPECT_EQ_INT(mg_config_load_file(&cfg, "/dev/null", &errs), -EINVAL);
	MG_EXPECT_CONTAINS(errs.list.list[0].msg, "empty document");
	mg_config_free(&cfg);
}

/* ------------------------------------------------------------------------------------------ */
/* Value syntax helpers.                                                                      */

MG_TEST(config_ipv4_syntax)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t want;
	} cases[] = {
	    {"0.0.0.0", 0, 0},
	    {"255.255.255.255", 0, 0xFFFFFFFF},
	    {"10.99.0.2", 0, 0x0A630002},
	    {"1.2.3.4", 0, 0x01020304},
	    {"", -EINVAL, 0},
	    {"1.2.3", -EINVAL, 0},
	    {"1.2.3.4.", -EINVAL, 0},
	    {"1.2.3.4.5", -EINVAL, 0},
	    {"1..3.4", -EINVAL, 0},
	    {".1.2.3", -EINVAL, 0},
	    {"256.1.1.1", -EINVAL, 0},
	    {"01.1.1.1", -EINVAL, 0},
	    {"1.1.1.00", -EINVAL, 0},
	    {"1.1.1.1000", -EINVAL, 0},
	    {"1.1.1.-1", -EINVAL, 0},
	    {"1.1.1.+1", -EINVAL, 0},
	    {"0x1.1.1.1", -EINVAL, 0},
	    {"1.1.1.1 ", -EINVAL, 0},
	    {"a.b.c.d", -EINVAL, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t a = 0xDEADBEEF;

		MG_CASE("%s", cases[i].s);
		MG_EXPECT_EQ_INT(mg_cfg_parse_ipv4(cases[i].s, strlen(cases[i].s), &a),
		                 cases[i].rc);
		MG_EXPECT_EQ_UINT(a, cases[i].rc == 0 ? cases[i].want : 0xDEADBEEF);
	}
	/* The length bounds the text: no NUL is needed. */
	MG_EXPECT_EQ_INT(mg_cfg_parse_ipv4("1.2.3.45", 7, &(uint32_t){0}), 0);
}

MG_TEST(config_device_syntax)
{
	static const struct {
		const char *s;
		int kind;
	} cases[] = {
	    {"net_tap0", MG_CFG_DEV_VDEV},
	    {"net_tap0,iface=mgt0", MG_CFG_DEV_VDEV},
	    {"net_virtio_user3,path=/dev/vhost-net,queues=1", MG_CFG_DEV_VDEV},
	    {"net_null0,size=64,copy=1", MG_CFG_DEV_VDEV},
	    {"0000:00:04.0", MG_CFG_DEV_PCI},
	    {"ffff:ff:1f.7", MG_CFG_DEV_PCI},
	    {"", -EINVAL},
	    {"net", -EINVAL},
	    {"net_", -EINVAL},
	    {"net_tap", -EINVAL},
	    {"NET_tap0", -EINVAL},
	    {"eth0", -EINVAL},
	    {"net_tap0,,a=b", -EINVAL},
	    {"net_tap0,a=b,", -EINVAL},
	    {"net_tap0,a=\x01", -EINVAL},
	    {"net_tap0,a=b\x7f", -EINVAL},
	    {"00:04.0", -EINVAL},
	    {"0000:00:04.0,", -EINVAL},
	};
	size_t i;
	char why[200];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MG_CASE("%s", cases[i].s);
		why[0] = '\0';
		MG_EXPECT_EQ_INT(
		    mg_cfg_device_kind(cases[i].s, strlen(cases[i].s), why, sizeof(why)),
		    cases[i].kind);
		MG_EXPECT(cases[i].kind >= 0 || why[0] != '\0');
	}
}

MG_TEST(config_admin_token_and_syslog)
{
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	const struct mg_cfg_appliance *ap = &cfg.appliance;
	char buf[512];

	MG_ASSERT_EQ_INT(
	    mg_cfgtest_parse(&cfg,
	                     "{\"appliance\":{\"interfaces\":[{\"name\":\"a\",\"address\":"
	                     "\"192.168.1.10/16\"}],\"admin\":{\"interface\":\"a\",\"port\":80,"
	                     "\"token\":\"0123456789abcdef\",\"tokenFile\":\"/run/t\"},"
	                     "\"syslog\":{\"address\":\"10.0.0.5\"}}}",
	                     &errs),
	    0);
	MG_EXPECT_STR(ap->admin.token, "0123456789abcdef");
	MG_EXPECT_STR(ap->admin.token_file, "/run/t");
	MG_EXPECT(ap->syslog.present);
	MG_EXPECT_EQ_UINT(ap->syslog.addr, 0x0A000005);
	MG_EXPECT_EQ_UINT(ap->syslog.port, 514);
	MG_EXPECT_EQ_UINT(ap->syslog.facility, 16);
	mg_config_free(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	MG_EXPECT(mg_cfgtest_parse(&cfg,
	                           "{\"appliance\":{\"interfaces\":[{\"name\":\"a\",\"address\":"
	                           "\"192.168.1.10/16\"}],\"admin\":{\"interface\":\"a\",\"port\":"
	                           "80,\"token\":\"short\"}}}",
	                           &errs) != 0);
	MG_EXPECT_CONTAINS(mg_cfgtest_errors(&errs, buf, sizeof(buf)), "token");
	mg_cfg_errors_free(&errs);
	mg_config_free(&cfg);
}

/* appliance.failClosed: a list of virtual node names; empty strings and non-strings refused. */
MG_TEST(config_fail_closed)
{
	static const char head[] =
	    "{\"appliance\":{\"interfaces\":[{\"name\":\"a\",\"address\":"
	    "\"192.168.1.10/16\"}],\"admin\":{\"interface\":\"a\",\"port\":80},"
	    "\"failClosed\":";
	struct mg_config cfg = {0};
	struct mg_cfg_errors errs;
	char doc[512];

	snprintf(doc, sizeof(doc), "%s[\"web\",\"api\"]}}", head);
	MG_ASSERT_EQ_INT(mg_cfgtest_parse(&cfg, doc, &errs), 0);
	MG_EXPECT_EQ_INT(cfg.appliance.n_fail_closed, 2);
	MG_EXPECT_STR(cfg.appliance.fail_closed[0], "web");
	MG_EXPECT_STR(cfg.appliance.fail_closed[1], "api");
	mg_config_free(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	snprintf(doc, sizeof(doc), "%s[\"\"]}}", head);
	MG_EXPECT(mg_cfgtest_parse(&cfg, doc, &errs) != 0);
	mg_config_free(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	snprintf(doc, sizeof(doc), "%s[1]}}", head);
	MG_EXPECT(mg_cfgtest_parse(&cfg, doc, &errs) != 0);
	mg_config_free(&cfg);
}
