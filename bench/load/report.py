"""The results as markdown (bench/results/<output>.md), beside the JSON they come from."""

from bench.load.targets import services_total


def write_markdown(report: dict) -> str:
    run = report["run"]
    lines = ["# Load benchmark", "", f"Written by `{run['command']}` (`make bench`); do not edit by hand.", ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items()), ""]
    lines += [
        f"{run['customers']} customers and 1 staff user (locust, headless) through the gateway for "
        f"{run['duration_s']} s after a ramp of {run['spawn_rate']} users/s; customers think "
        f"{run['think_min']}-{run['think_max']} s between tasks; {run['books']} synthetic books besides the demo "
        f"ones, {run['stocked']} of them in stock. Services started as `make run` starts them, except the "
        "gateway's rate limits, raised (every simulated customer comes from one address). Times in ms.",
        "",
    ]
    for kind, result in report["databases"].items():
        settings = ", ".join(f"{k}={v}" for k, v in result["settings"].items())
        before, after = result["load_average"]["before"], result["load_average"]["after"]
        lines += [
            f"## {kind}",
            "",
            f"Settings: {settings}.",
            f"Load average (1, 5, 15 min): {before} before, {after} after.",
            "",
        ]
        lines += ["| endpoint | requests | requests/s | median | p95 | p99 | errors |", "|---|---|---|---|---|---|---|"]
        for name, row in result["load"]["endpoints"].items():
            times = " | ".join(
                "-" if row[key] is None else f"{row[key]:g}" for key in ("median_ms", "p95_ms", "p99_ms")
            )
            lines.append(f"| {name} | {row['requests']} | {row['requests_per_s']} | {times} | {row['errors']} |")
        ceiling = result["ceiling"] or {}
        lines += [
            "",
            f"Ceiling (book_service `/health/`, same server settings, {run['customers']} users, no think time, "
            f"{run['ceiling_duration_s']} s): {ceiling.get('requests_per_s')} requests/s, median "
            f"{ceiling.get('median_ms')}, p95 {ceiling.get('p95_ms')}, p99 {ceiling.get('p99_ms')}, errors "
            f"{ceiling.get('errors')}.",
            "",
        ]
        if result["load"]["failures"]:
            lines += (
                ["Failures:", ""]
                + [f"- {f['count']} x {f['endpoint']}: {f['error']}" for f in result["load"]["failures"]]
                + [""]
            )
        calls = result["calls_per_checkout"]
        lines += [f"Calls between services for one checkout and its payment: {calls['total']}.", ""]
        for step in ("checkout", "payment"):
            lines += [f"- {step} ({calls[step]['calls']}): " + "; ".join(calls[step]["requests"])]
        idle, peak = result["memory"]["idle"], result["memory"]["peak_under_load"]
        lines += ["", "| process group | processes | RSS idle (MB) | RSS peak (MB) | PSS idle (MB) | PSS peak (MB) |"]
        lines += ["|---|---|---|---|---|---|"]
        for name in idle:
            top = peak.get(name, idle[name])
            lines.append(
                f"| {name} | {idle[name]['processes']} | {idle[name]['rss_mb']} | {top['rss_mb']} | "
                f"{idle[name]['pss_mb']} | {top['pss_mb']} |"
            )
        lines.append(
            f"| **eight services** | | {services_total(idle)} | {services_total(peak)} | "
            f"{services_total(idle, 'pss_mb')} | {services_total(peak, 'pss_mb')} |"
        )
        cpu = result["cpu"]
        requests_done = max(1, result["load"]["endpoints"].get("overall", {}).get("requests", 0))
        lines += [
            "",
            f"CPU time during the load ({cpu['elapsed_s']} s; the machine's {cpu['machine_cpu_seconds']} CPU seconds "
            f"were {cpu['machine_busy_cpu_seconds']} busy, other work on the machine included):",
            "",
            "| process group | CPU seconds | CPU ms per shop request |",
            "|---|---|---|",
        ]
        for name, seconds in sorted(cpu["cpu_seconds"].items(), key=lambda item: -item[1]):
            lines.append(f"| {name} | {seconds} | {round(1000 * seconds / requests_done, 1)} |")
        if opened := cpu.get("database_connections_opened"):
            lines += [
                "",
                "PostgreSQL connections opened during the load (pg_stat_database.sessions): "
                + ", ".join(f"{name} {count}" for name, count in opened.items())
                + ".",
                "",
                f"PostgreSQL connections held by the services at the peak: {cpu['database_connections_peak']} "
                f"(the server's max_connections is {cpu['database_max_connections']}, shared with anything else "
                "using it).",
            ]
        if result.get("logged_errors"):
            lines += ["", "Exceptions in the services' logs:", ""]
            lines += [f"- {count} x {error}" for error, count in result["logged_errors"]]
        lines += ["", "Targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in result["targets"].items())]
        for profile in result["profiles"]:
            lines += ["", f"py-spy on {profile['service']}'s workers ({profile['samples']} samples with the GIL):", ""]
            lines += ["| inclusive | function | | own | function |", "|---|---|---|---|---|"]
            for (frame, pct), (own_frame, own_pct) in zip(
                profile["inclusive_pct"][:15], profile["own_pct"][:15], strict=False
            ):
                lines.append(f"| {pct}% | {frame} | | {own_pct}% | {own_frame} |")
        lines.append("")
    return "\n".join(lines)
