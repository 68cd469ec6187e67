// gen_events — deterministic synthetic product-analytics events for the kpi benchmark.
//
// Writes N events (default 10,000,000) as CSV (`user_id,timestamp,event,session_id,feature,value`)
// or NDJSON (same keys; `feature` and `value` absent when empty, `value` a JSON number). The
// output is byte-identical across machines for a given (--rows, --seed): the only randomness is
// xoshiro256** seeded by splitmix64, and the only floating point is IEEE +,-,*,/,sqrt (log and
// exp are computed here by fixed series, not by libm, whose last bit may differ between
// platforms). Build: g++ -O2 -std=c++20 -ffp-contract=off gen_events.cpp (contraction into FMA
// would change rounding on machines that have it).
//
// The model (see bench/README.md for why):
//   * users = max(1, N/50); each user's share of the N events follows a lognormal weight
//     (sigma 1.5): many light users, a few heavy ones (capped at 15,000 events each);
//   * a user's events come in sessions: events 10 s .. 28 min apart inside a session,
//     sessions at least 30 min + 1 s apart (so session_id and 30-minute-gap sessions agree);
//   * first events spread over 2025 with growth (more newcomers late in the year); each user's
//     activity span is exponential, longer for heavier users, compressed to end by 2025-12-31;
//   * lifecycle: the first event is a page_view; signup -> onboarding_start/complete,
//     signup -> activation -> trial_start -> purchase (9.99 / 29.00 / 99.00) with drop-off,
//     and monthly repeat purchases; other events are page_view (most), click, feature_use with a
//     feature (search, export, share, dashboard, alerts);
//   * output is emitted in per-day batches, each sorted by (time, user), so the file is in time
//     order like a typical export; a user's events never share a second, so the order is total.
//
// Usage: gen_events [--rows N] [--format csv|ndjson] [--out FILE] [--seed S]

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64 (seeding, hashing) and xoshiro256** (streams). Both are specified
// bit-for-bit by their authors (Vigna), so any implementation gives the same sequence.
std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
    std::uint64_t x = a ^ (b * 0xD1B54A32D192ED03ULL);
    return splitmix64(x);
}

struct Rng {
    std::uint64_t s[4];
    explicit Rng(std::uint64_t seed) {
        for (auto& w : s) w = splitmix64(seed);
    }
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t next() {
        const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
        const std::uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }
    // Uniform in [0, 1) with 53 random bits (exact).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform in (0, 1].
    double uniform_pos() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
    bool chance(double p) { return uniform() < p; }
    // Uniform integer in [0, n), n > 0 (modulo bias < n / 2^64, irrelevant here).
    std::uint64_t below(std::uint64_t n) {
        return next() % n;
    }
};

// ---------------------------------------------------------------------------------------------
// Portable log/exp: only IEEE-exact operations (frexp/ldexp are exact), fixed evaluation order.
double det_log(double x) {  // REQUIRES: x > 0, finite
    int e = 0;
    double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
    if (m < 0.70710678118654752) {
        m *= 2.0;
        e -= 1;
    }
    // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: 12 odd terms reach < 1e-18.
    const double s = (m - 1.0) / (m + 1.0);
    const double s2 = s * s;
    double term = s, sum = 0.0;
    for (int k = 1; k <= 25; k += 2) {
        sum += term / k;
        term *= s2;
    }
    return 2.0 * sum + e * 0.69314718055994530942;
}

double det_exp(double x) {  // REQUIRES: |x| < 700
    const double ln2 = 0.69314718055994530942;
    const double kf = std::floor(x / ln2 + 0.5);
    const double r = x - kf * ln2;  // |r| <= ln2/2
    double term = 1.0, sum = 1.0;
    for (int k = 1; k <= 20; ++k) {
        term *= r / k;
        sum += term;
    }
    return std::ldexp(sum, static_cast<int>(kf));
}

double exponential(Rng& r, double mean) { return -det_log(r.uniform_pos()) * mean; }

double std_normal(Rng& r) {  // Marsaglia's polar method: needs log and sqrt only.
    for (;;) {
        const double u = 2.0 * r.uniform() - 1.0, v = 2.0 * r.uniform() - 1.0;
        const double s = u * u + v * v;
        if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * det_log(s) / s);
    }
}

// ---------------------------------------------------------------------------------------------
// The vocabulary.
enum Ev : std::uint8_t {
    kPageView, kClick, kSignup, kTrialStart, kActivation, kOnboardingStart, kOnboardingComplete,
    kPurchase, kFeatureUse, kUnassigned = 255
};
constexpr std::string_view kEventName[] = {"page_view",        "click",      "signup",
                                           "trial_start",      "activation", "onboarding_start",
                                           "onboarding_complete", "purchase",   "feature_use"};
constexpr std::string_view kFeatureName[] = {"", "search", "export", "share", "dashboard", "alerts"};
constexpr std::string_view kValueText[] = {"", "9.99", "29.00", "99.00"};

constexpr std::uint32_t kDay = 86400;
constexpr std::uint32_t kDays = 365;                 // 2025 is not a leap year
constexpr std::uint32_t kYearEnd = kDays * kDay - 1;  // last second, relative to 2025-01-01T00:00:00Z
constexpr std::uint32_t kSessionGap = 1801;          // > 30 min: a new session by the gap rule too
constexpr std::uint64_t kMaxEventsPerUser = 15000;
// Events drawn per user before the cut at the end of 2025; about 15% fall after it, so
// a user keeps ~50 on average and N events take ~N/50 users.
constexpr double kMeanEventsPerUser = 57.5;

struct Event {          // 16 bytes; 10M events = 160 MB
    std::uint32_t t;     // seconds since 2025-01-01T00:00:00Z
    std::uint32_t user;  // 0-based; printed as u<user+1>
    std::uint32_t sess;  // the user's session number (0-based)
    std::uint8_t type, feature, value, pad;
};

// ---------------------------------------------------------------------------------------------
// One user's life: slot times first, then event types.
struct UserGen {
    std::vector<std::uint32_t> times, sessions;  // per slot, relative then absolute
    std::vector<std::uint8_t> types, features, values;
    std::vector<std::uint32_t> session_len;
    std::vector<double> intra, extra;

    // First unassigned slot after index `after` whose time is >= target, within max_delay of it.
    long pick(long after, double target, double max_delay) const {
        const auto begin = times.begin() + (after + 1);
        if (begin >= times.end()) return -1;
        const std::uint32_t tgt = target >= static_cast<double>(kYearEnd)
                                      ? kYearEnd
                                      : static_cast<std::uint32_t>(target < 0 ? 0 : target);
        long i = std::lower_bound(begin, times.end(), tgt) - times.begin();
        for (; i < static_cast<long>(times.size()); ++i) {
            if (static_cast<double>(times[static_cast<std::size_t>(i)]) > target + max_delay) return -1;
            if (types[static_cast<std::size_t>(i)] == kUnassigned) return i;
        }
        return -1;
    }

    // REQUIRES: n >= 1, 0 <= first_seen <= kYearEnd. Leaves the (possibly fewer) kept events.
    void generate(Rng& r, std::uint32_t n, double first_seen) {
        times.clear(); sessions.clear(); types.clear(); features.clear(); values.clear();
        session_len.clear(); intra.clear(); extra.clear();

        // Session sizes: 1 + geometric-ish with mean ~5 events.
        for (std::uint32_t left = n; left > 0;) {
            std::uint32_t len = 1 + static_cast<std::uint32_t>(exponential(r, 4.0));
            if (len > left) len = left;
            session_len.push_back(len);
            left -= len;
        }
        const std::size_t k = session_len.size();
        // Fixed time: session durations plus the minimal gaps between sessions.
        double fixed = static_cast<double>(k - 1) * kSessionGap;
        for (std::uint32_t len : session_len)
            for (std::uint32_t j = 1; j < len; ++j) {
                double g = 10.0 + std::floor(exponential(r, 100.0));
                if (g > 1700.0) g = 1700.0;  // < 30 min: the session stays one session
                intra.push_back(g);
                fixed += g;
            }
        double extra_sum = 0.0;
        for (std::size_t j = 1; j < k; ++j) {
            // Mostly a day or so between visits, sometimes weeks.
            const double e = exponential(r, 1.0) * (r.chance(0.15) ? 6.0 : 1.0);
            extra.push_back(e);
            extra_sum += e;
        }
        // Desired activity span: heavier users stay longer.
        const double span_mean_days = 25.0 * (1.0 + det_log(1.0 + n / 10.0));
        double span = exponential(r, span_mean_days * kDay);
        // Sessions are spread over the span; a user still active at the end of 2025 is cut there,
        // as in a real export (the caller tops the total back up with more users).
        const double gap_scale = (k > 1 && span > fixed) ? (span - fixed) / extra_sum : 0.0;
        // Absolute slot times (strictly increasing: every gap is >= 10 s).
        double t = first_seen;
        std::size_t ii = 0;
        for (std::size_t s = 0; s < k && t <= kYearEnd; ++s) {
            if (s > 0) t += kSessionGap + std::floor(gap_scale * extra[s - 1]);
            for (std::uint32_t j = 0; j < session_len[s]; ++j) {
                if (j > 0) t += intra[ii++];
                if (t > kYearEnd) break;
                times.push_back(static_cast<std::uint32_t>(t));
                sessions.push_back(static_cast<std::uint32_t>(s));
            }
        }
        n = static_cast<std::uint32_t>(times.size());  // >= 1: first_seen is inside 2025
        types.assign(n, kUnassigned);
        features.assign(n, 0);
        values.assign(n, 0);

        // Lifecycle. Every step lands on a later slot than the previous one.
        types[0] = kPageView;
        const double month = 30.0 * kDay;
        if (r.chance(0.42)) {
            const double delay = r.chance(0.8) ? exponential(r, 300.0) : exponential(r, 3.0 * kDay);
            const long su = pick(0, times[0] + delay, month);
            if (su >= 0) {
                types[static_cast<std::size_t>(su)] = kSignup;
                const double tsu = times[static_cast<std::size_t>(su)];
                if (r.chance(0.75)) {
                    const long os = pick(su, tsu + exponential(r, 120.0), 7 * kDay);
                    if (os >= 0) {
                        types[static_cast<std::size_t>(os)] = kOnboardingStart;
                        if (r.chance(0.65)) {
                            const long oc = pick(os, times[static_cast<std::size_t>(os)] + exponential(r, 600.0), 7 * kDay);
                            if (oc >= 0) types[static_cast<std::size_t>(oc)] = kOnboardingComplete;
                        }
                    }
                }
                if (r.chance(0.58)) {
                    const long ac = pick(su, tsu + exponential(r, 1.5 * kDay), month);
                    if (ac >= 0) {
                        types[static_cast<std::size_t>(ac)] = kActivation;
                        if (r.chance(0.55)) {
                            const long tr = pick(ac, times[static_cast<std::size_t>(ac)] + exponential(r, 2.0 * kDay), month);
                            if (tr >= 0) {
                                types[static_cast<std::size_t>(tr)] = kTrialStart;
                                if (r.chance(0.5)) {
                                    const double tt = times[static_cast<std::size_t>(tr)];
                                    const double d = r.chance(0.45) ? exponential(r, kDay)
                                                                    : 5.0 * kDay + exponential(r, 4.0 * kDay);
                                    long pu = pick(tr, tt + d, month);
                                    const double pv = r.uniform();
                                    const std::uint8_t value = pv < 0.55 ? 1 : pv < 0.9 ? 2 : 3;
                                    while (pu >= 0) {  // first purchase, then monthly renewals
                                        types[static_cast<std::size_t>(pu)] = kPurchase;
                                        values[static_cast<std::size_t>(pu)] = value;
                                        if (!r.chance(0.75)) break;
                                        pu = pick(pu, times[static_cast<std::size_t>(pu)] + month, 10 * kDay);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Everything else: sessions open with a page view; then views, clicks, feature use.
        for (std::size_t i = 0; i < n; ++i) {
            if (types[i] != kUnassigned) continue;
            if (i == 0 || sessions[i] != sessions[i - 1]) {
                types[i] = kPageView;
                continue;
            }
            const double x = r.uniform();
            if (x < 0.58) {
                types[i] = kPageView;
            } else if (x < 0.83) {
                types[i] = kClick;
            } else {
                types[i] = kFeatureUse;
                const double f = r.uniform();
                features[i] = f < 0.35 ? 1 : f < 0.50 ? 2 : f < 0.65 ? 3 : f < 0.90 ? 4 : 5;
            }
        }
    }
};

// ---------------------------------------------------------------------------------------------
// Output.
struct Out {
    std::FILE* f;
    std::vector<char> buf;
    std::size_t len = 0;
    explicit Out(std::FILE* file) : f(file), buf(1 << 22) {}
    void flush() {
        if (len && std::fwrite(buf.data(), 1, len, f) != len) {
            std::perror("gen_events: write");
            std::exit(1);
        }
        len = 0;
    }
    void put(std::string_view s) {
        if (len + s.size() > buf.size()) flush();
        std::memcpy(buf.data() + len, s.data(), s.size());
        len += s.size();
    }
    void put(char c) {
        if (len + 1 > buf.size()) flush();
        buf[len++] = c;
    }
    void put_uint(std::uint64_t v) {
        char tmp[24];
        int i = 24;
        do {
            tmp[--i] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        put(std::string_view(tmp + i, static_cast<std::size_t>(24 - i)));
    }
};

// "2025-MM-DD" for each day of 2025.
std::vector<std::string> day_labels() {
    static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    std::vector<std::string> out;
    for (int m = 0; m < 12; ++m)
        for (int d = 1; d <= kMonthDays[m]; ++d) {
            char b[32];
            std::snprintf(b, sizeof b, "2025-%02d-%02d", m + 1, d);
            out.emplace_back(b);
        }
    return out;
}

void put_time(Out& o, const std::vector<std::string>& days, std::uint32_t t) {
    const std::uint32_t day = t / kDay, sec = t % kDay;
    const std::uint32_t h = sec / 3600, mi = sec / 60 % 60, s = sec % 60;
    char b[10] = {'T', static_cast<char>('0' + h / 10), static_cast<char>('0' + h % 10), ':',
                  static_cast<char>('0' + mi / 10), static_cast<char>('0' + mi % 10), ':',
                  static_cast<char>('0' + s / 10), static_cast<char>('0' + s % 10), 'Z'};
    o.put(days[day]);
    o.put(std::string_view(b, 10));
}

void put_session(Out& o, std::uint64_t seed, const Event& e) {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::uint64_t h = mix(mix(seed ^ 0x5E55105ULL, e.user), e.sess);
    char b[16];
    for (int i = 0; i < 16; ++i) b[i] = kHex[(h >> (60 - 4 * i)) & 15];
    o.put(std::string_view(b, 16));
}

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "gen_events: %s\nusage: gen_events [--rows N] [--format csv|ndjson] [--out FILE] [--seed S]\n",
                 msg);
    std::exit(2);
}

std::uint64_t parse_u64(const char* s, const char* what) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (errno || !end || *end || *s == '-' || end == s) usage((std::string("bad ") + what + ": " + s).c_str());
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t rows = 10'000'000, seed = 42;
    std::string format = "csv", out_path;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) usage(("missing value for " + std::string(a)).c_str());
            return argv[++i];
        };
        if (a == "--rows") rows = parse_u64(value(), "--rows");
        else if (a == "--seed") seed = parse_u64(value(), "--seed");
        else if (a == "--format") format = value();
        else if (a == "--out" || a == "-o") out_path = value();
        else if (a == "--help" || a == "-h") usage("deterministic events generator");
        else usage(("unknown option " + std::string(a)).c_str());
    }
    if (format != "csv" && format != "ndjson") usage("--format must be csv or ndjson");
    if (rows > 2'000'000'000ULL) usage("--rows: at most 2,000,000,000");

    // Users, one at a time, until N events are kept. Each user's stream depends only on (seed,
    // user number), so a prefix of users is the same whatever N is.
    std::vector<Event> events;
    events.reserve(rows);
    UserGen g;
    for (std::uint64_t u = 0; events.size() < rows; ++u) {
        Rng r(mix(seed, u + 1));
        // First event: growth through the year (the density of newcomers rises with time).
        const double x = r.uniform();
        const double day = std::floor((0.75 * x + 0.25 * std::sqrt(x)) * kDays);
        const double first_seen = day * kDay + static_cast<double>(r.below(kDay));
        // Activity: lognormal weight with mean 1 (sigma 1.5: median user ~0.3, top 0.1% ~30x).
        const double w = det_exp(1.5 * std_normal(r) - 1.125);
        std::uint64_t n = 1 + static_cast<std::uint64_t>(std::floor(kMeanEventsPerUser * w));
        n = std::min({n, kMaxEventsPerUser, rows - events.size()});
        g.generate(r, static_cast<std::uint32_t>(n), first_seen);
        for (std::size_t i = 0; i < g.times.size(); ++i)
            events.push_back(Event{g.times[i], static_cast<std::uint32_t>(u), g.sessions[i], g.types[i],
                                   g.features[i], g.values[i], 0});
    }

    // Per-day batches (counting sort by day), each sorted by (time, user).
    std::vector<std::uint64_t> start(kDays + 1, 0);
    for (const Event& e : events) ++start[e.t / kDay + 1];
    for (std::uint32_t d = 0; d < kDays; ++d) start[d + 1] += start[d];
    std::vector<Event> ordered(events.size());
    {
        std::vector<std::uint64_t> pos(start.begin(), start.end() - 1);
        for (const Event& e : events) ordered[pos[e.t / kDay]++] = e;
    }
    events.clear();
    events.shrink_to_fit();

    std::FILE* f = out_path.empty() || out_path == "-" ? stdout : std::fopen(out_path.c_str(), "wb");
    if (!f) {
        std::perror(("gen_events: " + out_path).c_str());
        return 1;
    }
    Out o(f);
    const auto days = day_labels();
    const bool csv = format == "csv";
    if (csv) o.put("user_id,timestamp,event,session_id,feature,value\n");
    for (std::uint32_t d = 0; d < kDays; ++d) {
        const auto b = ordered.begin() + static_cast<std::ptrdiff_t>(start[d]);
        const auto e = ordered.begin() + static_cast<std::ptrdiff_t>(start[d + 1]);
        std::sort(b, e, [](const Event& x, const Event& y) {
            return x.t != y.t ? x.t < y.t : x.user < y.user;
        });
        for (auto it = b; it != e; ++it) {
            const Event& ev = *it;
            if (csv) {
                o.put('u');
                o.put_uint(ev.user + 1ULL);
                o.put(',');
                put_time(o, days, ev.t);
                o.put(',');
                o.put(kEventName[ev.type]);
                o.put(',');
                put_session(o, seed, ev);
                o.put(',');
                o.put(kFeatureName[ev.feature]);
                o.put(',');
                o.put(kValueText[ev.value]);
                o.put('\n');
            } else {
                o.put("{\"user_id\":\"u");
                o.put_uint(ev.user + 1ULL);
                o.put("\",\"timestamp\":\"");
                put_time(o, days, ev.t);
                o.put("\",\"event\":\"");
                o.put(kEventName[ev.type]);
                o.put("\",\"session_id\":\"");
                put_session(o, seed, ev);
                o.put('"');
                if (ev.feature) {
                    o.put(",\"feature\":\"");
                    o.put(kFeatureName[ev.feature]);
                    o.put('"');
                }
                if (ev.value) {
                    o.put(",\"value\":");
                    o.put(kValueText[ev.value]);
                }
                o.put("}\n");
            }
        }
    }
    o.flush();
    if (f != stdout ? std::fclose(f) != 0 : std::fflush(f) != 0) {
        std::perror("gen_events: close");
        return 1;
    }
    return 0;
}
