// The daemon's HTTP listener: one server, one route table, routes contributed by their owners.
export { startHttpServer, type HttpServer } from './server.js';
export {
  DuplicateRouteError,
  RouteTable,
  type Method,
  type Reply,
  type ReplyStream,
  type Route,
  type RouteRequest,
  type RouteSet,
} from './routes.js';
export { MAX_BODY } from './body.js';
