import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

/**
 * The ceiling: a bare Socket.IO server that answers the seed's events with no authentication,
 * validation or storage. Whatever Parley achieves is reported as a fraction of this.
 * Same transport settings as Parley (no per-message deflate, 64 KiB packets).
 */
const httpServer = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
});
const io = new Server(httpServer, { perMessageDeflate: false, maxHttpBufferSize: 64 * 1024 });
const user = { id: randomUUID(), email: 'ceiling@example.com', username: 'ceiling' };

io.on('connection', (socket) => {
  socket.on('join_chat', async (payload: { chatId: string }, ack: (answer: unknown) => void) => {
    await socket.join(`chat:${payload.chatId}`);
    ack({ success: true, messages: [] });
  });
  socket.on('send_message', (payload: { chatId: string; text: string }, ack: (answer: unknown) => void) => {
    const message = {
      id: randomUUID(),
      text: payload.text,
      sender: user.id,
      chatId: payload.chatId,
      createdAt: new Date().toISOString(),
      user,
    };
    io.to(`chat:${payload.chatId}`).emit('new_message', message);
    ack({ success: true, message });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  void io.close(); // Disconnects every client at once; the process does not wait for the server to finish closing.
  process.exit(0);
});
