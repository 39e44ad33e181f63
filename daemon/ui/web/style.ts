// The page's stylesheet, inlined into every page (no second request, nothing fetched from
// elsewhere). Light and dark follow prefers-color-scheme; one column on a phone; visible focus.
export const CSS = `
:root{color-scheme:light dark;--bg:#f7f7f8;--fg:#1b1d21;--muted:#5b616b;--card:#fff;--line:#d9dce1;--link:#0b57d0;
--ok:#0f7b3f;--ok-bg:#e3f4ea;--bad:#b3261e;--bad-bg:#fdeceb;--warn:#8a5300;--warn-bg:#fff2d6;--info:#2a4f8f;--info-bg:#e6edf9;--code:#eef0f3}
@media (prefers-color-scheme:dark){:root{--bg:#121417;--fg:#e6e8eb;--muted:#a2a9b4;--card:#1b1e23;--line:#30353d;--link:#8ab4f8;
--ok:#7dd3a0;--ok-bg:#11301f;--bad:#ffb4ab;--bad-bg:#3d1512;--warn:#ffcf7a;--warn-bg:#3a2a08;--info:#a8c7fa;--info-bg:#172a4a;--code:#262a31}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--link)}
a:focus-visible,summary:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--link);outline-offset:2px}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);border-radius:4px;padding:0 .25em}
pre{white-space:pre-wrap;word-break:break-word;padding:.5em;margin:.4em 0 0}
.top{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;padding:.6em 1em;background:var(--card);border-bottom:1px solid var(--line)}
.brand{font-weight:700;text-decoration:none;color:var(--fg)}
.meta{color:var(--muted)}
.live{margin-left:auto;color:var(--muted);font-size:.9em}
.skip{position:absolute;left:-999px}.skip:focus{left:1em;top:.5em;background:var(--card);padding:.3em}
main{max-width:1200px;margin:0 auto;padding:1em}
h1{font-size:1.4em;margin:.2em 0 .6em}h2{font-size:1.15em;margin:1.4em 0 .5em}h3{margin:0 0 .5em;font-size:1.1em;overflow-wrap:anywhere}
small,.quiet{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(340px,100%),1fr));gap:1em}
.cards.one{grid-template-columns:minmax(0,1fr)}
.card{min-width:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1em}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.25em .8em;margin:0}
dt{color:var(--muted)}dd{margin:0;min-width:0}
.wrap{overflow-wrap:anywhere}
.msg{overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 .5em;border-radius:999px;font-size:.8em;font-weight:600;vertical-align:middle}
.ok{color:var(--ok);background:var(--ok-bg)}.bad{color:var(--bad);background:var(--bad-bg)}.warn{color:var(--warn);background:var(--warn-bg)}.info{color:var(--info);background:var(--info-bg)}
.failing{margin-top:.8em;padding:.6em;border-left:4px solid var(--bad);background:var(--bad-bg);border-radius:4px}
.err{color:var(--bad);font-size:.9em}
.warnings{color:var(--warn);margin:.5em 0 0;padding-left:1.2em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:var(--card);margin-bottom:1em}
th,td{text-align:left;padding:.4em .6em;border-bottom:1px solid var(--line);vertical-align:top}
thead th{color:var(--muted);font-weight:600}
.group{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5em .8em;margin:.5em 0}
.group summary{cursor:pointer}
.group ul{list-style:none;margin:.4em 0 0;padding:0}
.group li{padding:.3em 0;border-top:1px solid var(--line)}
.oname{font-weight:600;margin-right:.5em;overflow-wrap:anywhere}
.feed ol{list-style:none;padding:0;margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px}
.feed li{overflow-wrap:anywhere;padding:.35em .8em;border-top:1px solid var(--line)}.feed li:first-child{border-top:0}
form.signout{margin:0}
form.signout button{font:inherit;font-size:.9em;padding:.15em .7em;border-radius:4px;border:1px solid var(--line);background:var(--bg);color:var(--fg);cursor:pointer}
form.signin{max-width:420px;margin:3em auto;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.2em}
form.signin input{width:100%;padding:.5em;margin:.4em 0 .8em;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:4px}
form.signin button{padding:.5em 1em;border-radius:4px;border:1px solid var(--line);background:var(--link);color:var(--card);font-weight:600}
@media (max-width:600px){.cards{grid-template-columns:minmax(0,1fr)}main{padding:.6em}.live{margin-left:0;width:100%}}
`;
