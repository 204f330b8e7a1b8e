/* Ethernet, ARP, IPv4 and UDP helpers for our network guests: header fields, checksums, address words, the ARP
 * answer. Header-only (static inline) so that each guest carries just what it calls. */
#ifndef RUNCC_NET_FRAMES_H
#define RUNCC_NET_FRAMES_H

#include "runtime.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_LEN 28
#define IPPROTO_ICMP 1
#define IPPROTO_UDP 17
#define IPV4_HLEN 20
#define UDP_HLEN 8

/* One network interface of the guest: its manifest name and handle, and what the monitor and command line gave it. */
struct iface {
    const char *name;
    uint64_t handle;
    uint8_t mac[6];
    uint16_t mtu;
    uint8_t ip[4];
};

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* The Internet checksum (RFC 1071) of len bytes. */
static inline uint16_t inet_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (; len > 1; len -= 2, p += 2)
        sum += get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static inline int starts_with(const char *text, const char *prefix)
{
    while (*prefix)
        if (*text++ != *prefix++)
            return 0;
    return 1;
}

/* Reads "A.B.C.D" (stopping at '/', ' ' or the end); returns the rest of the text, or 0 if malformed. */
static inline const char *parse_ipv4(const char *text, uint8_t ip[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned value = 0, digits = 0;
        while (*text >= '0' && *text <= '9' && digits < 4) {
            value = value * 10 + (unsigned)(*text++ - '0');
            digits++;
        }
        if (digits == 0 || value > 255 || (i < 3 && *text++ != '.'))
            return 0;
        ip[i] = (uint8_t)value;
    }
    return text;
}

/* Applies one "NAME.ipv4=A.B.C.D/N" word to the interface of `ifaces` it names; returns 1 if the word was one. */
static inline int apply_address_word(struct iface *ifaces, int count, const char *word)
{
    for (int i = 0; i < count; i++) {
        struct iface *ifc = &ifaces[i];
        size_t n = strlen(ifc->name);
        if (!starts_with(word, ifc->name) || !starts_with(word + n, ".ipv4="))
            continue;
        if (!parse_ipv4(word + n + 6, ifc->ip))
            runtime_abort("malformed ipv4 address on the command line");
        return 1;
    }
    return 0;
}

static inline void send_frame(const struct iface *ifc, const uint8_t *data, size_t len)
{
    if (net_write(ifc->handle, data, len) != SOLO5_R_OK)
        runtime_abort("NET_WRITE failed");
}

static inline void send_arp(const struct iface *ifc, uint16_t oper, const uint8_t *dst_mac, const uint8_t *tha,
                            const uint8_t *tpa)
{
    uint8_t out[ETH_HLEN + ARP_LEN];
    memcpy(out, dst_mac, 6);
    memcpy(out + 6, ifc->mac, 6);
    put16(out + 12, ETHERTYPE_ARP);
    uint8_t *arp = out + ETH_HLEN;
    put16(arp, 1);
    put16(arp + 2, ETHERTYPE_IPV4);
    arp[4] = 6;
    arp[5] = 4;
    put16(arp + 6, oper);
    memcpy(arp + 8, ifc->mac, 6);
    memcpy(arp + 14, ifc->ip, 4);
    memcpy(arp + 18, tha, 6);
    memcpy(arp + 24, tpa, 4);
    send_frame(ifc, out, sizeof out);
}

/* The gratuitous ARP a guest announces its address with. */
static inline void announce(const struct iface *ifc)
{
    static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t zero_mac[6] = { 0 };
    send_arp(ifc, 1, broadcast, zero_mac, ifc->ip);
}

/* Answers an ARP request for the interface's address. */
static inline void handle_arp(const struct iface *ifc, const uint8_t *f, size_t len)
{
    const uint8_t *arp = f + ETH_HLEN;
    if (len < ETH_HLEN + ARP_LEN || get16(arp) != 1 || get16(arp + 2) != ETHERTYPE_IPV4 || get16(arp + 6) != 1)
        return;
    if (memcmp(arp + 24, ifc->ip, 4) != 0)
        return;
    send_arp(ifc, 2, f + 6, arp + 8, arp + 14);
}

static inline void print_mac(const uint8_t *mac)
{
    static const char hex[] = "0123456789abcdef";
    char text[18];
    for (int i = 0; i < 6; i++) {
        text[i * 3] = hex[mac[i] >> 4];
        text[i * 3 + 1] = hex[mac[i] & 0xf];
        text[i * 3 + 2] = i < 5 ? ':' : 0;
    }
    print(text);
}

static inline void print_ipv4(const uint8_t *ip)
{
    for (int b = 0; b < 4; b++) {
        print_u64(ip[b]);
        if (b < 3)
            print(".");
    }
}

/* Finds the interface in the manifest, takes its MAC and MTU, prints "NAME: MAC m, MTU is n, address a". */
static inline void iface_open(struct iface *ifc)
{
    const struct mft_entry *e = device_lookup(ifc->name, MFT_NET_BASIC, &ifc->handle);
    if (!e)
        runtime_abort("network device missing from the manifest");
    memcpy(ifc->mac, e->u.net.mac, 6);
    ifc->mtu = e->u.net.mtu;
    print(ifc->name);
    print(": MAC ");
    print_mac(ifc->mac);
    print(", MTU is ");
    print_u64(ifc->mtu);
    print(", address ");
    print_ipv4(ifc->ip);
    print("\n");
}

#endif
