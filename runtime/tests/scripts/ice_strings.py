# Prints, for each line of standard input (a JSON string), what ZeroC Ice 3.7 makes of it
# as a stringified proxy: {"ok": proxyToString} or {"error": exception type}. Lines starting
# with "identity:" are printed with identityToString in the three ToStringModes instead.
import json
import sys

import Ice

init = Ice.InitializationData()
init.properties = Ice.createProperties()
init.properties.setProperty("Ice.Warn.Endpoints", "0")
init.properties.setProperty("Ice.Plugin.IceSSL", "IceSSL:createIceSSL")
communicator = Ice.initialize(init)
for line in sys.stdin:
    item = json.loads(line)
    try:
        if item.startswith("identity:"):
            ident = Ice.stringToIdentity(item[len("identity:"):])
            result = {"ok": [ident.category, ident.name,
                             Ice.identityToString(ident, Ice.ToStringMode.Unicode),
                             Ice.identityToString(ident, Ice.ToStringMode.ASCII),
                             Ice.identityToString(ident, Ice.ToStringMode.Compat)]}
        else:
            proxy = communicator.stringToProxy(item)
            result = {"ok": "" if proxy is None else communicator.proxyToString(proxy)}
    except Exception as e:  # noqa: BLE001 - the type is the answer
        result = {"error": type(e).__name__}
    print(json.dumps(result), flush=True)
communicator.destroy()
