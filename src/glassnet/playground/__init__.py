"""The playground: a network you can see through, trained live in the browser on glassnet's own
engine (``glassnet playground``). The web server needs the ``playground`` extra (Starlette and
uvicorn); the sessions (`session`), the data (`data`), the snapshots (`snapshot`), the glass
(`glass`) and the exports (`exports`) need NumPy only, and `app` imports Starlette."""
